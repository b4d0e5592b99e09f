//! The staff search's keys: computed by the service at intake, by the database for
//! anonymisation and backfills, merged into the index in the background.

use std::time::Duration;

use inquiry_desk::domain::search;
use inquiry_desk::storage::search::{merge_pending, schedule_merge};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ids_of, spawn_app, valid_inquiry, with, TestApp};

async fn found(app: &TestApp, key: &str, q: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    ids_of(app, key, &format!("q={q}")).await
}

#[tokio::test]
async fn the_service_and_the_database_compute_the_same_text_and_keys() {
    let app = spawn_app().await;
    // (company, contact, need, use)
    type Fields<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Option<&'a str>);
    let cases: [Fields; 6] = [
        (
            Some("深圳市华信精密电子有限公司"),
            Some("王总"),
            "求租厂房，2000平方米",
            Some("仓储"),
        ),
        (
            Some("ACME Logistics Ltd."),
            Some("Mr. ÉLAN"),
            "Warehouse 5,000 m²",
            None,
        ),
        (None, None, "x", None),
        (None, Some("李"), "", None),
        (
            Some("😀 Emoji 𠀋 beyond the BMP"),
            None,
            "（全角）ＡＢＣ",
            Some("ΣΑΣ"),
        ),
        (
            Some("tab\there"),
            Some("line\nbreak"),
            "100%_like",
            Some("\\"),
        ),
    ];
    for (company, contact, need, use_) in cases {
        let text = search::text(company, contact, need, use_);
        let (db_text, db_keys): (String, Vec<i32>) = sqlx::query_as(
            "SELECT inquiry_search_text($1, $2, $3, $4),
                    search_keys(inquiry_search_text($1, $2, $3, $4))",
        )
        .bind(company)
        .bind(contact)
        .bind(need)
        .bind(use_)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(text, db_text);
        assert_eq!(search::keys(&text), db_keys, "{text}");
    }
}

#[tokio::test]
async fn a_new_inquiry_is_found_before_and_after_the_background_merge() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app
        .submit(&with(
            valid_inquiry(),
            &[("company", json!("稀有名称公司"))],
        ))
        .await;
    // Still in the index's pending list: searches read it too.
    assert_eq!(found(&app, &sales, "稀有").await, std::slice::from_ref(&id));
    assert!(
        merge_pending(&app.pool).await.unwrap() > 0,
        "the insert went to the pending list"
    );
    assert_eq!(merge_pending(&app.pool).await.unwrap(), 0, "nothing left");
    assert_eq!(found(&app, &sales, "稀有").await, std::slice::from_ref(&id));

    // The job the service runs does the same.
    let other = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("company", json!("另一家稀有公司")),
                ("phone", json!("13800138000")),
            ],
        ))
        .await;
    let mut tasks = inquiry_desk::tasks::Tasks::new();
    schedule_merge(&mut tasks, app.pool.clone(), Duration::from_millis(50));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let failed = tokio::time::timeout(Duration::from_secs(5), tasks.stop())
        .await
        .expect("the job stops when told");
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(merge_pending(&app.pool).await.unwrap(), 0, "the job merged");
    assert_eq!(found(&app, &sales, "稀有").await, [other, id]);
}

#[tokio::test]
async fn an_anonymised_inquiry_is_no_longer_found_by_its_personal_fields() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("company", json!("稀有名称公司")),
                ("contact", json!("欧阳总")),
            ],
        ))
        .await;
    assert_eq!(found(&app, &admin, "欧阳").await, std::slice::from_ref(&id));
    let response = app
        .staff(Method::DELETE, &admin, &format!("/api/v1/inquiries/{id}"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert!(found(&app, &admin, "欧阳").await.is_empty());
    // The keys of the erased fields are gone too: they spell a name.
    let keys: Vec<i32> =
        sqlx::query_scalar("SELECT search_keys FROM inquiries WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for erased in ["欧阳", "稀有"] {
        assert!(!keys.contains(&search::keys(erased)[0]), "{erased}");
    }
    assert!(found(&app, &admin, "稀有").await.is_empty());
    // The need stays for statistics, and stays searchable.
    assert_eq!(found(&app, &admin, "标准厂房").await, [id]);
}

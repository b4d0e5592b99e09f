//! A person's access and erasure requests, `purge`, and the retention job.

use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, with};

#[tokio::test]
async fn an_admin_finds_exports_and_erases_everything_about_a_phone() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = app.submit(&valid_inquiry()).await;
    let second = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("article_url", json!("https://www.example.cn/b.html")),
                ("email", json!("wang@example.org")),
            ],
        ))
        .await;
    let other = app
        .submit(&with(valid_inquiry(), &[("phone", json!("13800138000"))]))
        .await;
    app.get_json(&admin, &format!("/api/v1/inquiries/{first}"))
        .await; // a staff read

    let data = app
        .get_json(
            &admin,
            "/api/v1/privacy/subject?phone=%2B86%20139-1234-5678",
        )
        .await;
    assert_eq!(data["phone"], "+8613912345678");
    let ids: Vec<&str> = data["inquiries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    assert_eq!(data["inquiries"][0]["email"], "wang@example.org");
    assert!(data["inquiries"][1]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "received"));
    assert!(data["access_log"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "read"));

    let sales = app.sales().await;
    assert_eq!(
        app.get_as(&sales, "/api/v1/privacy/subject?phone=13912345678")
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_as(&admin, "/api/v1/privacy/subject?phone=123")
            .await
            .status(),
        422
    );
    assert_eq!(
        app.get_as(&admin, "/api/v1/privacy/subject").await.status(),
        422
    );

    let erased = app
        .staff(
            Method::DELETE,
            &admin,
            "/api/v1/privacy/subject?phone=13912345678",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    assert_eq!(erased.json::<Value>().await.unwrap()["anonymised"], 2);
    for id in [&first, &second] {
        let d = app
            .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
            .await;
        assert_eq!(d["phone"], Value::Null);
        assert_eq!(d["anonymised"], true);
    }
    assert_eq!(
        app.get_json(&admin, &format!("/api/v1/inquiries/{other}"))
            .await["phone"],
        "+8613800138000"
    );
    let after = app
        .get_json(&admin, "/api/v1/privacy/subject?phone=13912345678")
        .await;
    assert_eq!(
        after["inquiries"],
        json!([]),
        "nothing is held about the phone any more"
    );
}

#[tokio::test]
async fn purge_anonymises_old_inquiries_and_never_deletes() {
    let app = spawn_app().await;
    let old = app.submit(&valid_inquiry()).await;
    let recent = app
        .submit(&with(valid_inquiry(), &[("phone", json!("13800138000"))]))
        .await;
    sqlx::query(
        "UPDATE inquiries SET received_at = now() - interval '800 days' WHERE id = $1::uuid",
    )
    .bind(&old)
    .execute(&app.pool)
    .await
    .unwrap();
    let url = app.settings.database.url.expose_secret().to_string();
    let run = || {
        let output = Command::new(env!("CARGO_BIN_EXE_inquiry-desk"))
            .args(["purge", "--older-than", "730d"])
            .env("DATABASE_URL", &url)
            .env_remove("APP_ENV")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(run().starts_with("anonymised 1 "));
    assert!(run().starts_with("anonymised 0 "), "idempotent");
    assert_eq!(app.inquiry_count().await, 2, "nothing deleted");
    let states: Vec<(String, bool)> =
        sqlx::query_as("SELECT id::text, anonymised_at IS NOT NULL AND phone IS NULL FROM inquiries ORDER BY received_at")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(states, vec![(old, true), (recent, false)]);
}

#[tokio::test]
async fn the_retention_job_anonymises_what_is_older_than_the_retention() {
    let app = spawn_app().await;
    let old = app.submit(&valid_inquiry()).await;
    sqlx::query(
        "UPDATE inquiries SET received_at = now() - interval '40 days' WHERE id = $1::uuid",
    )
    .bind(&old)
    .execute(&app.pool)
    .await
    .unwrap();
    app.submit(&with(valid_inquiry(), &[("phone", json!("13800138000"))]))
        .await;
    let mut tasks = inquiry_desk::tasks::Tasks::new();
    inquiry_desk::privacy::schedule_retention(
        &mut tasks,
        app.pool.clone(),
        Duration::from_secs(30 * 24 * 3600),
        Duration::ZERO,
    );
    for _ in 0..100 {
        if app
            .count("SELECT count(*) FROM inquiries WHERE anonymised_at IS NOT NULL")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.count("SELECT count(*) FROM inquiries WHERE anonymised_at IS NOT NULL")
            .await,
        1
    );
    let actor: String =
        sqlx::query_scalar("SELECT actor FROM inquiry_events WHERE kind = 'anonymised'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(actor, "retention");
    let failed = tokio::time::timeout(Duration::from_secs(5), tasks.stop())
        .await
        .unwrap();
    assert!(failed.is_empty(), "{failed:?}");
}

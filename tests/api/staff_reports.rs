//! CSV export, articles with counts, stats.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, with};

#[tokio::test]
async fn the_csv_export_is_excel_ready_neutralised_and_filtered() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.submit(&with(
        valid_inquiry(),
        &[
            (
                "company",
                json!("=HYPERLINK(\"http://evil.example\",\"点我\")"),
            ),
            ("need", json!("求租厂房\n第二行，含\"引号\"")),
            ("message", json!("@SUM(1)")),
        ],
    ))
    .await;
    app.submit(&with(
        valid_inquiry(),
        &[
            ("phone", json!("+852 9123 4567")),
            ("contact", json!("-陈")),
        ],
    ))
    .await;
    let response = app.get_as(&admin, "/api/v1/inquiries/export.csv").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "编号");
    assert_eq!(&headers[3], "需求");
    assert_eq!(&headers[10], "手机号");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    let hk = &rows[0]; // newest first
    assert_eq!(&hk[10], "'+852 9123 4567");
    assert_eq!(&hk[9], "'-陈");
    let cn = &rows[1];
    assert_eq!(&cn[10], "139 1234 5678");
    assert_eq!(&cn[8], "'=HYPERLINK(\"http://evil.example\",\"点我\")");
    assert_eq!(
        &cn[3], "求租厂房\n第二行，含\"引号\"",
        "no truncation, quotes and newlines kept"
    );
    assert_eq!(&cn[13], "'@SUM(1)");
    assert_eq!(&cn[6], "3000000");
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")\""),
        "{text}"
    );

    let english = app
        .get_as(
            &admin,
            "/api/v1/inquiries/export.csv?lang=en&phone=%2B85291234567",
        )
        .await;
    let body = english.text().await.unwrap();
    let mut lines = body.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with("id,status,received_at"));
    assert_eq!(lines.count(), 1, "filters apply");

    let sales = app.sales().await;
    assert_eq!(
        app.get_as(&sales, "/api/v1/inquiries/export.csv")
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get_as(&admin, "/api/v1/inquiries/export.csv?status=nope")
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn a_large_export_is_complete() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    sqlx::query(
        "INSERT INTO inquiries (id, need, contact, phone, search_keys)
         SELECT gen_random_uuid(), '需求' || n, '联系人', '+86139' || lpad(n::text, 8, '0'),
                search_keys(inquiry_search_text(NULL, '联系人', '需求' || n, NULL))
           FROM generate_series(1, 3000) AS n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let body = app
        .get_as(&admin, "/api/v1/inquiries/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(reader.records().count(), 3000);
}

#[tokio::test]
async fn articles_come_with_counts_sorted_and_paged() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    for (n, article) in ["a", "b", "b", "c", "c", "c"].iter().enumerate() {
        let url = format!("https://www.example.cn/{article}.html");
        app.submit(&with(
            valid_inquiry(),
            &[
                ("article_url", json!(url)),
                ("phone", json!(format!("1390000{n:04}"))),
            ],
        ))
        .await;
    }
    app.submit(&with(
        valid_inquiry(),
        &[
            ("article_url", json!("https://www.example.cn/a.html")),
            ("website", json!("spam")),
        ],
    ))
    .await;
    let page = app
        .get_json(&sales, "/api/v1/articles?sort=count&limit=2")
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["url"], "https://www.example.cn/c.html");
    assert_eq!(items[0]["inquiry_count"], 3);
    assert_eq!(items[1]["inquiry_count"], 2);
    assert!(items[0]["last_inquiry_at"].is_string());
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(
            &sales,
            &format!("/api/v1/articles?sort=count&limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["url"], "https://www.example.cn/a.html");
    assert_eq!(rest["items"][0]["inquiry_count"], 1, "spam is not counted");
    assert_eq!(rest["next_cursor"], Value::Null);

    let recent = app.get_json(&sales, "/api/v1/articles?sort=recent").await;
    assert_eq!(recent["items"][0]["url"], "https://www.example.cn/c.html");
    assert_eq!(
        app.get_as(&sales, "/api/v1/articles?sort=best")
            .await
            .status(),
        422
    );
}

#[tokio::test]
async fn stats_count_by_shanghai_day_status_article_and_source() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let late = app.submit(&valid_inquiry()).await;
    let early = app
        .submit(&with(
            valid_inquiry(),
            &[
                ("phone", json!("13800138000")),
                ("utm_source", json!("wechat")),
            ],
        ))
        .await;
    // 23:30 UTC is 07:30 the next day in Shanghai; 15:00 UTC is 23:00 the same day.
    for (id, at) in [
        (&late, "2026-11-26T23:30:00Z"),
        (&early, "2026-11-26T15:00:00Z"),
    ] {
        sqlx::query("UPDATE inquiries SET received_at = $2::timestamptz WHERE id = $1::uuid")
            .bind(id)
            .bind(at)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let stats = app
        .get_json(
            &sales,
            "/api/v1/stats?from=2026-11-26T00:00:00Z&to=2026-11-28T00:00:00Z",
        )
        .await;
    assert_eq!(stats["total"], 2);
    assert_eq!(
        stats["by_day"],
        json!([{"day": "2026-11-26", "count": 1}, {"day": "2026-11-27", "count": 1}])
    );
    assert_eq!(stats["by_status"], json!([{"status": "new", "count": 2}]));
    assert_eq!(stats["by_article"][0]["count"], 2);
    let sources: Vec<(Value, Value)> = stats["by_utm_source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["utm_source"].clone(), s["count"].clone()))
        .collect();
    assert!(
        sources.contains(&(json!("baidu"), json!(1)))
            && sources.contains(&(json!("wechat"), json!(1)))
    );
    for bad in [
        "from=x",
        "from=2026-11-28T00:00:00Z&to=2026-11-26T00:00:00Z",
    ] {
        assert_eq!(
            app.get_as(&sales, &format!("/api/v1/stats?{bad}"))
                .await
                .status(),
            422,
            "{bad}"
        );
    }
}

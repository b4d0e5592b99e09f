//! The CSV export when things go wrong and when visitors write numbers and formulas: a download
//! that failed can never look complete, and Excel or WPS show every cell as it was written.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{spawn_app, valid_inquiry, with, TestApp};

const INTERRUPTED: &str = "【导出中断】此文件不完整，缺少其后的询盘，请重新导出。";

/// `n` leads of about 3.6 kB each, straight into the table.
async fn seed(app: &TestApp, n: i64) {
    sqlx::query(
        "INSERT INTO inquiries (id, need, contact, phone, received_at, search_keys)
         SELECT gen_random_uuid(), n || repeat('求租标准厂房', 200), '联系人',
                '+86139' || lpad(n::text, 8, '0'), now() - n * interval '1 second', '{}'
           FROM generate_series(1, $1) AS n",
    )
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
}

/// Reads the rest of a body: the bytes, and whether it ended properly.
async fn drain(response: &mut reqwest::Response, into: &mut Vec<u8>) -> Result<(), String> {
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => into.extend_from_slice(&bytes),
            Ok(None) => return Ok(()),
            Err(e) => return Err(format!("{e:?}")),
        }
    }
}

/// Lines of the body after the BOM and the header row.
fn data_lines(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    text.trim_start_matches('\u{feff}')
        .split("\r\n")
        .skip(1)
        .map(str::to_string)
        .collect()
}

async fn access_actions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM access_log ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Waits (the failure is recorded by the server as the download breaks) for `action`.
async fn wait_for_action(app: &TestApp, action: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let actions = access_actions(app).await;
        if actions.iter().any(|a| a == action) || Instant::now() > deadline {
            return actions;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_export_whose_database_connection_dies_midway_is_an_incomplete_download_and_logged() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let total = 12_000;
    seed(&app, total).await;
    let mut response = app.get_as(&admin, "/api/v1/inquiries/export.csv").await;
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    body.extend_from_slice(&response.chunk().await.unwrap().unwrap());

    // The test stops reading: about 40 MB cannot all sit in buffers, so the export's backend
    // waits for its client. That is the moment the database connection dies.
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid: i32 = loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()
                AND query LIKE 'SELECT i.id%ORDER BY i.received_at DESC, i.id DESC'
                AND wait_event = 'ClientWrite'",
        )
        .fetch_optional(&app.pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the export never waited on its client: seed more rows"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(pid)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(terminated);

    let ending = drain(&mut response, &mut body).await;
    assert!(
        ending.is_err(),
        "a cut-short export must not end like a complete one"
    );
    let lines = data_lines(&body);
    let leads = lines.iter().filter(|l| l.contains("求租标准厂房")).count();
    assert!(leads < total as usize, "the failure came midway: {leads}");
    assert!(leads > 0, "rows had been sent before the failure");
    // Whether the interruption line got out before the connection was cut depends on the
    // client's buffers (it was not reading); the broken transfer above is what cannot fail.
    let actions = wait_for_action(&app, "export_failed").await;
    assert_eq!(actions, ["export", "export_failed"]);
}

#[tokio::test]
async fn an_export_whose_reader_dies_on_a_row_ends_with_the_interruption_and_no_clean_end() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let normal = 600;
    seed(&app, normal).await;
    // A lead PostgreSQL holds but the service cannot read (chrono has no -infinity): the
    // reading task fails on it, after every other row, oldest last.
    sqlx::query(
        "INSERT INTO inquiries (id, need, received_at, search_keys)
         VALUES (gen_random_uuid(), '无法读取的时间', '-infinity', '{}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut response = app.get_as(&admin, "/api/v1/inquiries/export.csv").await;
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    let ending = drain(&mut response, &mut body).await;
    assert!(ending.is_err(), "the download is cut, not finished");
    let lines = data_lines(&body);
    let leads = lines.iter().filter(|l| l.contains("求租标准厂房")).count();
    assert_eq!(leads, normal as usize, "every row read before the failure");
    assert_eq!(
        lines
            .iter()
            .rev()
            .find(|l| !l.is_empty())
            .map(String::as_str),
        Some(INTERRUPTED),
        "the file says it is incomplete"
    );
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert!(
        reader.records().any(|r| r.is_err()),
        "a strict CSV reader refuses the interrupted file"
    );
    let actions = wait_for_action(&app, "export_failed").await;
    assert_eq!(actions, ["export", "export_failed"]);
}

#[tokio::test]
async fn an_export_that_fails_before_its_first_row_is_an_error_response_not_a_file() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    sqlx::query(
        "INSERT INTO inquiries (id, need, received_at, search_keys)
         VALUES (gen_random_uuid(), '无法读取的时间', '-infinity', '{}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let response = app.get_as(&admin, "/api/v1/inquiries/export.csv").await;
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = response.bytes().await.unwrap();
    assert!(!body.starts_with(b"\xEF\xBB\xBF"), "no CSV was started");
    let actions = wait_for_action(&app, "export_failed").await;
    assert_eq!(actions, ["export", "export_failed"]);

    // Bad filters are refused before anything is read or logged.
    let refused = app
        .get_as(&admin, "/api/v1/inquiries/export.csv?assignee=%00")
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(access_actions(&app).await, ["export", "export_failed"]);

    // Nothing matching is a complete file of its header alone.
    let mut empty = app
        .get_as(&admin, "/api/v1/inquiries/export.csv?status=won")
        .await;
    assert_eq!(empty.status(), 200);
    let mut body = Vec::new();
    assert_eq!(drain(&mut empty, &mut body).await, Ok(()));
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(data_lines(&body), [""], "the header row and nothing else");
}

/// The export as `header → cell` maps, newest lead first.
async fn export_rows(app: &TestApp, key: &str) -> Vec<HashMap<String, String>> {
    let response = app.get_as(key, "/api/v1/inquiries/export.csv").await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let record = r.unwrap();
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn visitor_numbers_and_formulas_export_as_text_with_every_character() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // (column, field, what the visitor wrote, what the cell must hold)
    let cases: [(&str, &str, &str, &str); 9] = [
        // A phone number in `wechat` is stored as E.164 and written like the phone column.
        ("微信", "wechat", "13912345678", "139 1234 5678"),
        ("公司", "company", "00123", "'00123"),
        ("需求", "need", "2000", "'2000"),
        ("用途", "use", "1e5", "'1e5"),
        ("联系人", "contact", "＋王总", "'＋王总"),
        (
            "留言",
            "message",
            "＝HYPERLINK(\"http://x\")",
            "'＝HYPERLINK(\"http://x\")",
        ),
        ("税收", "tax", "3000000", "'3000000"),
        ("活动", "utm_campaign", "20261127", "'20261127"),
        ("关键词", "utm_term", "2026-01-02", "'2026-01-02"),
    ];
    let mut body = valid_inquiry();
    for (_, field, written, _) in cases {
        body = with(body, &[(field, json!(written))]);
    }
    app.submit(&body).await;
    let formulas: [(&str, &str, &str, &str); 5] = [
        ("公司", "company", "－1+2", "'－1+2"),
        ("需求", "need", "＠所有人 求租厂房", "'＠所有人 求租厂房"),
        ("联系人", "contact", "=1+1", "'=1+1"),
        ("微信", "wechat", "wang_zong88", "wang_zong88"),
        ("留言", "message", "@SUM(A1)", "'@SUM(A1)"),
    ];
    let mut second = with(valid_inquiry(), &[("phone", json!("13800138000"))]);
    for (_, field, written, _) in formulas {
        second = with(second, &[(field, json!(written))]);
    }
    app.submit(&second).await;
    // A QQ number and an 18-digit ID in `wechat`, written as older forms stored them.
    sqlx::query(
        "INSERT INTO inquiries (id, need, wechat, company, received_at, search_keys)
         VALUES (gen_random_uuid(), '0756', '123456789', '440301199001011234',
                 now() - interval '1 day', '{}')",
    )
    .execute(&app.pool)
    .await
    .unwrap();

    let rows = export_rows(&app, &admin).await;
    assert_eq!(rows.len(), 3);
    for (column, _, written, cell) in cases {
        assert_eq!(rows[1][column], cell, "{column}: {written}");
    }
    for (column, _, written, cell) in formulas {
        assert_eq!(rows[0][column], cell, "{column}: {written}");
    }
    assert_eq!(rows[2]["微信"], "'123456789", "QQ number");
    assert_eq!(rows[2]["公司"], "'440301199001011234", "all 18 digits");
    assert_eq!(rows[2]["需求"], "'0756", "leading zero");
    assert_eq!(
        rows[1]["手机号"], "139 1234 5678",
        "phones as SPEC writes them"
    );
    assert_eq!(rows[0]["手机号"], "138 0013 8000");
    assert_eq!(
        rows[1]["年税收（元）"], "3000000",
        "derived numbers stay numbers"
    );
}

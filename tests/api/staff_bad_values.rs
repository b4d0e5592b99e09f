//! Staff values PostgreSQL cannot take — NUL, other control characters, timestamps outside
//! `timestamptz`, numbers beyond `bigint`, overlong text, bytes that are not UTF-8 — in every
//! parameter of every staff route: a 422 naming the parameter, never a 500, and nothing changed.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, TestApp};

/// One microsecond before PostgreSQL's first `timestamptz` (4714-11-24 00:00:00 BC), which
/// chrono can still hold: a cursor carrying it used to reach the database.
const BEFORE_POSTGRES_MICROS: i64 = -210_866_803_200_000_000 - 1;

fn cursor_at(micros: i64) -> String {
    let mut bytes = micros.to_be_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::now_v7().as_bytes());
    hex::encode(bytes)
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Values that are bad for any text parameter, with the code the answer must carry.
fn text_poison() -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("NUL", encoded("王\u{0}总"), "control_characters"),
        ("a lone NUL", "%00".into(), "control_characters"),
        ("ESC", encoded("\u{1b}[31m红"), "control_characters"),
        ("DEL", encoded("a\u{7f}"), "control_characters"),
        ("C1 NEL", encoded("a\u{85}b"), "control_characters"),
        ("line break", encoded("a\nb"), "control_characters"),
        (
            "GBK bytes, not UTF-8",
            "%D5%C5%C8%FD".into(),
            "invalid_value",
        ),
        ("overlong", encoded(&"长".repeat(1001)), "too_long"),
    ]
}

/// `(what, query value, code)` for each parameter of the lead list and the export.
fn list_cases() -> Vec<(&'static str, &'static str, String, &'static str)> {
    let mut cases = Vec::new();
    for param in [
        "status",
        "article_id",
        "q",
        "phone",
        "from",
        "to",
        "assignee",
        "min_tax",
        "notification",
        "limit",
        "cursor",
        "lang",
    ] {
        for (what, value, code) in text_poison() {
            cases.push((param, what, value, code));
        }
    }
    let specific: Vec<(&str, &str, String, &str)> = vec![
        (
            "from",
            "year 10000",
            encoded("+10000-01-01T00:00:00Z"),
            "invalid_value",
        ),
        (
            "to",
            "year -1",
            encoded("-0001-01-01T00:00:00Z"),
            "invalid_value",
        ),
        (
            "from",
            "30 February",
            "2026-02-30T00:00:00Z".into(),
            "invalid_value",
        ),
        (
            "to",
            "hour 24",
            "2026-11-27T24:00:00Z".into(),
            "invalid_value",
        ),
        ("from", "date only", "2026-11-27".into(), "invalid_value"),
        (
            "to",
            "offset beyond a day",
            encoded("2026-11-27T00:00:00+24:00"),
            "invalid_value",
        ),
        (
            "min_tax",
            "beyond bigint",
            "9223372036854775808".into(),
            "invalid_value",
        ),
        (
            "min_tax",
            "far beyond bigint",
            "99999999999999999999999999".into(),
            "invalid_value",
        ),
        ("min_tax", "negative", "-1".into(), "invalid_value"),
        ("min_tax", "exponent", "1e6".into(), "invalid_value"),
        (
            "min_tax",
            "full-width digits",
            encoded("１０００"),
            "invalid_value",
        ),
        (
            "limit",
            "beyond u64",
            "18446744073709551616".into(),
            "invalid_value",
        ),
        (
            "assignee",
            "longer than an assignee can be",
            encoded(&"张".repeat(51)),
            "too_long",
        ),
        (
            "q",
            "longer than a search",
            encoded(&"厂".repeat(101)),
            "invalid_value",
        ),
        (
            "cursor",
            "before PostgreSQL's first day",
            cursor_at(BEFORE_POSTGRES_MICROS),
            "invalid_value",
        ),
        (
            "cursor",
            "chrono's last microsecond",
            cursor_at(i64::MAX),
            "invalid_value",
        ),
        (
            "phone",
            "a thousand digits",
            "1".repeat(1000),
            "invalid_value",
        ),
        ("article_id", "not a uuid", "123".into(), "invalid_value"),
    ];
    cases.extend(specific);
    cases
}

/// Everything a refused request must leave as it was.
async fn snapshot(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "SELECT count(*) FROM access_log",
        "SELECT count(*) FROM inquiry_events",
        "SELECT count(*) FROM api_keys",
        "SELECT coalesce(sum(version), 0)::bigint FROM inquiries",
        "SELECT count(*) FROM inquiries WHERE assignee IS NOT NULL OR status <> 'new'",
        "SELECT count(*) FROM outbox",
    ] {
        counts.push(app.count(sql).await);
    }
    counts
}

/// Asserts a Chinese 422 problem naming `field` with `code`.
async fn assert_refused(response: reqwest::Response, field: &str, code: &str, case: &str) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    assert_eq!(status, 422, "{case}: {body}");
    assert_eq!(content_type, "application/problem+json", "{case}");
    let problem: Value = serde_json::from_str(&body).unwrap();
    let errors = problem["errors"].as_array().expect("errors");
    let named = errors
        .iter()
        .find(|e| e["field"] == field)
        .unwrap_or_else(|| panic!("{case}: {field} not named in {body}"));
    assert_eq!(named["code"], code, "{case}: {body}");
    let message = named["message"].as_str().unwrap();
    assert!(
        message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{case}: Chinese by default: {message}"
    );
}

#[tokio::test]
async fn every_list_and_export_parameter_refuses_what_postgres_cannot_take() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.submit(&valid_inquiry()).await;
    let before = snapshot(&app).await;
    for (param, what, value, code) in list_cases() {
        for path in ["/api/v1/inquiries", "/api/v1/inquiries/export.csv"] {
            let case = format!("{path} {param}: {what}");
            let response = app.get_as(&admin, &format!("{path}?{param}={value}")).await;
            assert_refused(response, param, code, &case).await;
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing logged"
    );
}

#[tokio::test]
async fn articles_stats_access_log_and_privacy_parameters_refuse_them_too() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.submit(&valid_inquiry()).await;
    let before = snapshot(&app).await;
    let mut cases: Vec<(Method, &str, &str, String, String, &str)> = Vec::new();
    let routes: [(Method, &str, &[&str]); 5] = [
        (
            Method::GET,
            "/api/v1/articles",
            &["sort", "limit", "cursor"],
        ),
        (Method::GET, "/api/v1/stats", &["from", "to"]),
        (Method::GET, "/api/v1/access-log", &["inquiry_id", "limit"]),
        (Method::GET, "/api/v1/privacy/subject", &["phone"]),
        (Method::DELETE, "/api/v1/privacy/subject", &["phone"]),
    ];
    for (method, path, params) in &routes {
        for param in *params {
            for (what, value, code) in text_poison() {
                cases.push((method.clone(), path, param, what.to_string(), value, code));
            }
        }
    }
    for (param, what, value) in [
        ("from", "year 10000", encoded("+10000-01-01T00:00:00Z")),
        ("to", "a date without time", "2026-11-27".to_string()),
        ("from", "30 February", "2026-02-30T00:00:00Z".to_string()),
    ] {
        cases.push((
            Method::GET,
            "/api/v1/stats",
            param,
            what.into(),
            value,
            "invalid_value",
        ));
    }
    for (param, what, value) in [
        ("limit", "beyond bigint", "9223372036854775808".to_string()),
        ("limit", "zero", "0".to_string()),
        ("cursor", "garbage", "zz".to_string()),
        ("cursor", "too short", "00ff".to_string()),
    ] {
        cases.push((
            Method::GET,
            "/api/v1/articles",
            param,
            what.into(),
            value,
            "invalid_value",
        ));
    }
    for (param, what, value) in [
        ("limit", "beyond bigint", "9223372036854775808".to_string()),
        ("inquiry_id", "not a uuid", "42".to_string()),
    ] {
        cases.push((
            Method::GET,
            "/api/v1/access-log",
            param,
            what.into(),
            value,
            "invalid_value",
        ));
    }
    for (method, path, param, what, value, code) in cases {
        let case = format!("{method} {path} {param}: {what}");
        let response = app
            .staff(method, &admin, &format!("{path}?{param}={value}"))
            .send()
            .await
            .unwrap();
        assert_refused(response, param, code, &case).await;
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "nothing changed, nothing logged"
    );
    assert_eq!(app.inquiry_count().await, 1, "nothing erased");
}

#[tokio::test]
async fn staff_bodies_refuse_nul_and_control_characters_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.submit(&valid_inquiry()).await;
    let before = snapshot(&app).await;
    let note_path = format!("/api/v1/inquiries/{id}/notes");
    let inquiry_path = format!("/api/v1/inquiries/{id}");
    let cases: Vec<(Method, &str, Value, &str, &str)> = vec![
        (
            Method::PATCH,
            &inquiry_path,
            json!({"assignee": "王\u{0}总"}),
            "assignee",
            "control_characters",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"assignee": "\u{0}"}),
            "assignee",
            "control_characters",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"assignee": "\u{1b}[31m王总"}),
            "assignee",
            "control_characters",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"assignee": "王\n总"}),
            "assignee",
            "line_break",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"assignee": "张".repeat(51)}),
            "assignee",
            "too_long",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"status": "contacted\u{0}"}),
            "status",
            "control_characters",
        ),
        (
            Method::PATCH,
            &inquiry_path,
            json!({"status": "contacted", "assignee": "a\u{0}"}),
            "assignee",
            "control_characters",
        ),
        (
            Method::POST,
            &note_path,
            json!({"body": "已电话联系\u{0}"}),
            "body",
            "control_characters",
        ),
        (
            Method::POST,
            &note_path,
            json!({"body": "\u{0}"}),
            "body",
            "control_characters",
        ),
        (
            Method::POST,
            &note_path,
            json!({"body": "颜色\u{1b}[0m"}),
            "body",
            "control_characters",
        ),
        (
            Method::POST,
            &note_path,
            json!({"body": "记".repeat(2001)}),
            "body",
            "too_long",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "前台\u{0}", "role": "sales"}),
            "name",
            "control_characters",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "前台", "role": "sales\u{0}"}),
            "role",
            "control_characters",
        ),
        (
            Method::POST,
            "/api/v1/keys",
            json!({"name": "名".repeat(101), "role": "sales"}),
            "name",
            "too_long",
        ),
    ];
    for (method, path, body, field, code) in cases {
        let case = format!("{method} {path} {body}");
        let response = app
            .staff(method, &admin, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_refused(response, field, code, &case).await;
    }
    // A NUL in a path id is no id at all.
    for (method, path) in [
        (Method::GET, "/api/v1/inquiries/%00"),
        (Method::PATCH, "/api/v1/inquiries/%00"),
        (Method::DELETE, "/api/v1/inquiries/%00"),
        (Method::POST, "/api/v1/inquiries/%00/notes"),
        (Method::DELETE, "/api/v1/keys/%00"),
    ] {
        let response = app
            .staff(method.clone(), &admin, path)
            .json(&json!({"body": "备注", "status": "contacted"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{method} {path}");
    }
    assert_eq!(snapshot(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn edge_values_postgres_can_take_are_answered_not_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.submit(&valid_inquiry()).await;
    for query in [
        // RFC 3339 allows years 0000–9999 only; all of them are inside timestamptz.
        format!("from={}", encoded("0000-01-01T00:00:00Z")),
        format!("from={}", encoded("0000-01-01T00:00:00+23:59")),
        format!("to={}", encoded("9999-12-31T23:59:59.999999999-23:59")),
        format!("to={}", encoded("2016-12-31T23:59:60Z")),
        format!("from={}", encoded("2026-11-27 08:00:00+08:00")),
        "min_tax=9223372036854775807".to_string(),
        "min_tax=0".to_string(),
        format!("assignee={}", encoded(&"张".repeat(50))),
        format!("q={}", encoded("工业 用地\u{3000}")),
        format!("assignee={}", encoded("  王总  ")),
        format!("cursor={}", cursor_at(-210_866_803_200_000_000)),
        "status=&assignee=&q=&cursor=".to_string(),
    ] {
        for path in ["/api/v1/inquiries", "/api/v1/inquiries/export.csv"] {
            let response = app.get_as(&admin, &format!("{path}?{query}")).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert_eq!(status, 200, "{path}?{query}: {body}");
        }
    }
    for query in [
        format!(
            "from={}&to={}",
            encoded("0000-01-01T00:00:00Z"),
            encoded("9999-12-31T23:59:59-23:59")
        ),
        format!("to={}", encoded("0000-01-01T00:00:00+23:59")),
    ] {
        let response = app.get_as(&admin, &format!("/api/v1/stats?{query}")).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 200, "stats?{query}: {body}");
    }
}

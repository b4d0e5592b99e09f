//! Intake refuses bad input with a specific problem, in Chinese or English, and stores nothing.

use serde_json::{json, Value};

use crate::helpers::{field_errors, spawn_app, spawn_app_with, valid_inquiry, with};

#[tokio::test]
async fn each_field_rule_is_a_422_on_that_field() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec!["www.example.cn".parse().unwrap()];
    })
    .await;
    let long_email = format!("{}@{}.cn", "a".repeat(64), "b".repeat(190));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("need", json!(""), "required"),
        ("need", json!(" \r\n\t "), "required"),
        ("need", json!("需".repeat(501)), "too_long"),
        ("need", json!("a\u{0}b"), "control_characters"),
        ("need", json!("a\u{1b}[31mb"), "control_characters"),
        ("use", json!("用".repeat(201)), "too_long"),
        ("use", json!("a\u{7f}"), "control_characters"),
        ("tax", json!("税".repeat(101)), "too_long"),
        ("tax", json!("300万\n500万"), "line_break"),
        ("company", json!("公".repeat(101)), "too_long"),
        ("company", json!("某某\r\n公司"), "line_break"),
        ("company", json!("某某\u{1}公司"), "control_characters"),
        ("contact", json!(""), "required"),
        ("contact", json!("联".repeat(51)), "too_long"),
        ("contact", json!(["王总"]), "invalid_type"),
        ("phone", json!(""), "required"),
        ("phone", json!("1391234567"), "invalid_phone"),
        ("phone", json!("139123456789"), "invalid_phone"),
        ("phone", json!("12012345678"), "invalid_phone"),
        ("phone", json!("1391234567a"), "invalid_phone"),
        ("phone", json!("+999 1234 5678"), "invalid_phone"),
        ("phone", json!("call me"), "invalid_phone"),
        ("email", json!("wang@"), "invalid_email"),
        ("email", json!("not an email"), "invalid_email"),
        ("email", json!(long_email), "too_long"),
        ("message", json!("留".repeat(2001)), "too_long"),
        ("message", json!("a\u{8}b"), "control_characters"),
        // The hidden fields (article_url, article_title, utm_*) and wechat are never an
        // error: real_input.rs has their tables.
    ];
    for (field, value, code) in cases {
        let body = with(valid_inquiry(), &[(field, value.clone())]);
        let errors = field_errors(app.post_json(&body).await).await;
        assert_eq!(
            errors,
            vec![(field.to_string(), code.to_string())],
            "{field} = {value}"
        );
    }
    assert_eq!(app.inquiry_count().await, 0, "nothing is stored");
    assert_eq!(app.count("SELECT count(*) FROM articles").await, 0);
}

#[tokio::test]
async fn every_failing_field_is_reported_at_once_in_chinese_by_default() {
    let app = spawn_app().await;
    let response = app
        .post_json(&json!({"need": "", "phone": "13912345", "email": "x@", "company": "a\nb"}))
        .await;
    assert_eq!(response.status(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 422);
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(
        problem["type"],
        "urn:inquiry-desk:problem:validation_failed"
    );
    assert_eq!(problem["title"], "提交的信息有误");
    let messages: Vec<(&str, &str, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        vec![
            ("need", "required", "请填写需求"),
            ("company", "line_break", "公司不能换行"),
            ("contact", "required", "请填写联系人"),
            ("phone", "invalid_phone", "请输入有效的手机号码"),
            ("email", "invalid_email", "请输入有效的邮箱地址"),
        ]
    );
    let text = problem.to_string();
    assert!(
        !text.contains("13912345") && !text.contains("x@"),
        "values are never echoed"
    );
}

#[tokio::test]
async fn messages_are_english_when_accept_language_prefers_it() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .header("accept-language", "en-US,en;q=0.9,zh-CN;q=0.8")
        .json(&with(valid_inquiry(), &[("phone", json!("123"))]))
        .send()
        .await
        .unwrap();
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["title"], "Some fields need fixing");
    assert_eq!(
        problem["errors"][0]["message"],
        "Please enter a valid phone number."
    );
}

#[tokio::test]
async fn malformed_oversized_and_unsupported_bodies_are_refused() {
    let app = spawn_app().await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"need\": ".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            b"[1, 2]".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            b"\"text\"".to_vec(),
            400,
            "malformed_body",
        ),
        (
            "application/json",
            vec![0xff, 0xfe, 0x00],
            400,
            "undecodable_body",
        ),
        (
            "application/json",
            "[".repeat(10_000).into_bytes(),
            400,
            "malformed_body",
        ),
        (
            "text/plain",
            b"need=x".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
            415,
            "unsupported_media_type",
        ),
        ("", b"need=x".to_vec(), 415, "unsupported_media_type"),
        (
            "application/json",
            vec![b' '; 65_537],
            413,
            "payload_too_large",
        ),
        (
            "application/x-www-form-urlencoded",
            format!("need={}", "a".repeat(70_000)).into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let response = app.post_raw(content_type, body, &[]).await;
        assert_eq!(
            response.status().as_u16(),
            status,
            "{content_type} → {code}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| c > '\u{2e80}'),
            "Chinese detail"
        );
    }
    assert_eq!(app.inquiry_count().await, 0);
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_accepted() {
    let app = spawn_app().await;
    let mut body = serde_json::to_vec(&valid_inquiry()).unwrap();
    // Pad with whitespace (valid JSON) up to exactly the limit.
    body.pop();
    body.resize(65_536 - 1, b' ');
    body.push(b'}');
    assert_eq!(body.len(), 65_536);
    assert_eq!(
        app.post_raw("application/json", body, &[]).await.status(),
        201
    );
}

#[tokio::test]
async fn json_numbers_and_booleans_are_read_sensibly() {
    let app = spawn_app().await;
    let body = with(
        valid_inquiry(),
        &[("phone", json!(13912345678u64)), ("consent", json!(true))],
    );
    assert_eq!(app.post_json(&body).await.status(), 201);
    let body = with(valid_inquiry(), &[("need", json!(true))]);
    assert_eq!(
        field_errors(app.post_json(&body).await).await,
        vec![("need".to_string(), "invalid_type".to_string())]
    );
}

//! Intake accepts what SPEC §2 accepts, stores it normalised, and writes its outbox rows.

use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{spawn_app, spawn_app_with, valid_inquiry, with};

#[derive(sqlx::FromRow, Debug)]
struct Row {
    status: String,
    need: String,
    r#use: Option<String>,
    tax: Option<String>,
    company: Option<String>,
    contact: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    wechat: Option<String>,
    message: Option<String>,
    tax_cny_per_year: Option<i64>,
    area_sqm: Option<f64>,
    article_id: Option<Uuid>,
    utm_source: Option<String>,
    utm_campaign: Option<String>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    consent: Option<bool>,
    privacy_notice_version: Option<String>,
    submission_count: i32,
}

async fn row(app: &crate::helpers::TestApp, id: &str) -> Row {
    sqlx::query_as(
        "SELECT status, need, use, tax, company, contact, phone, email, wechat, message,
                tax_cny_per_year, area_sqm, article_id, utm_source, utm_campaign,
                host(client_ip) AS client_ip, user_agent, consent, privacy_notice_version,
                submission_count
           FROM inquiries WHERE id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("inquiry row")
}

#[tokio::test]
async fn a_json_inquiry_is_stored_and_answered_201_with_location() {
    let app = spawn_app().await;
    let body = with(
        valid_inquiry(),
        &[
            ("email", json!("wang@example.cn")),
            ("wechat", json!("wang_zong88")),
            ("message", json!("周一至周五可电话联系")),
            ("utm_campaign", json!("spring")),
        ],
    );
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .header("user-agent", "Mozilla/5.0 (iPhone) MicroMessenger/8.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let answer: Value = response.json().await.unwrap();
    let id = answer["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/inquiries/{id}"));
    assert_eq!(answer["status"], "received");
    assert_eq!(
        answer.as_object().unwrap().len(),
        2,
        "id and status, nothing else"
    );

    let r = row(&app, id).await;
    assert_eq!(r.status, "new");
    assert_eq!(r.need, "求租高新区标准厂房2000平方米，层高8米以上");
    assert_eq!(r.r#use.as_deref(), Some("电子元器件组装、仓储"));
    assert_eq!(r.tax.as_deref(), Some("年纳税约300万"));
    assert_eq!(r.company.as_deref(), Some("珠海某某电子有限公司"));
    assert_eq!(r.contact.as_deref(), Some("王总"));
    assert_eq!(r.phone.as_deref(), Some("+8613912345678"));
    assert_eq!(r.email.as_deref(), Some("wang@example.cn"));
    assert_eq!(r.wechat.as_deref(), Some("wang_zong88"));
    assert_eq!(r.message.as_deref(), Some("周一至周五可电话联系"));
    assert_eq!(r.tax_cny_per_year, Some(3_000_000));
    assert_eq!(r.area_sqm, Some(2000.0));
    assert_eq!(
        r.utm_source.as_deref(),
        Some("baidu"),
        "UTM taken from the article URL"
    );
    assert_eq!(r.utm_campaign.as_deref(), Some("spring"));
    assert_eq!(r.client_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        r.user_agent.as_deref(),
        Some("Mozilla/5.0 (iPhone) MicroMessenger/8.0")
    );
    assert_eq!(r.consent, None);
    assert_eq!(r.submission_count, 1);

    let (url, title): (String, Option<String>) =
        sqlx::query_as("SELECT url, title FROM articles WHERE id = $1")
            .bind(r.article_id.unwrap())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(url, "https://www.example.cn/zhuhai/factory-1.html");
    assert_eq!(title.as_deref(), Some("高新区标准厂房出租"));

    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM inquiry_events WHERE inquiry_id = $1::uuid")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(kinds, vec!["received"]);
    let outbox: Vec<(String, String)> =
        sqlx::query_as("SELECT recipient, state FROM outbox WHERE inquiry_id = $1::uuid")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        outbox,
        vec![("sales@example.cn".to_string(), "pending".to_string())]
    );
}

#[tokio::test]
async fn text_is_normalised_and_empty_optional_fields_are_absent() {
    let app = spawn_app().await;
    let response = app
        .post_form(&[
            ("need", "  求租仓库\r\n面积1.5万平方米\r要求\t带卸货平台  "),
            ("use", ""),
            ("tax", "   "),
            ("company", "Cafe\u{301} 公司"),
            ("contact", " 李经理 "),
            ("phone", "+86 139-1234-5678"),
            ("email", ""),
            ("wechat", ""),
            ("message", ""),
            ("article_url", ""),
            ("article_title", ""),
            ("utm_source", ""),
            ("some_extra_input", "ignored"),
            ("submit", "提交"),
        ])
        .await;
    assert_eq!(
        response.status(),
        201,
        "a form post without browser Accept gets JSON"
    );
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = row(&app, &id).await;
    assert_eq!(r.need, "求租仓库\n面积1.5万平方米\n要求\t带卸货平台");
    assert_eq!(r.area_sqm, Some(15000.0));
    assert_eq!(r.company.as_deref(), Some("Caf\u{e9} 公司"), "NFC");
    assert_eq!(r.contact.as_deref(), Some("李经理"));
    for (field, value) in [
        ("use", &r.r#use),
        ("tax", &r.tax),
        ("email", &r.email),
        ("wechat", &r.wechat),
        ("message", &r.message),
        ("utm_source", &r.utm_source),
    ] {
        assert_eq!(value, &None, "{field} empty means absent");
    }
    assert_eq!(r.article_id, None);
    assert_eq!(r.tax_cny_per_year, None);
}

#[tokio::test]
async fn limits_are_inclusive_and_counted_in_characters() {
    let app = spawn_app().await;
    let body = with(
        valid_inquiry(),
        &[
            ("need", json!("需".repeat(500))),
            ("use", json!("用".repeat(200))),
            ("tax", json!("税".repeat(100))),
            ("company", json!("公".repeat(100))),
            ("contact", json!("联".repeat(50))),
            ("message", json!("留".repeat(2000))),
            ("article_title", json!("标".repeat(200))),
            ("utm_term", json!("u".repeat(100))),
            ("email", json!(format!("{}@example.cn", "a".repeat(64)))),
        ],
    );
    let response = app.post_json(&body).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
}

#[tokio::test]
async fn phone_numbers_are_stored_as_e164() {
    let app = spawn_app().await;
    let cases = [
        ("13912345678", "+8613912345678"),
        ("86 16612345678", "+8616612345678"),
        ("+86 171-1234-5678", "+8617112345678"),
        ("19912345678", "+8619912345678"),
        ("0756-3331234", "+867563331234"),
        ("400-800-1234", "+864008001234"),
        ("+852 9123 4567", "+85291234567"),
        ("853 6612 3456", "+85366123456"),
        ("+1 650-253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
    ];
    for (i, (input, e164)) in cases.iter().enumerate() {
        // A distinct article each time, so none is a duplicate of another.
        let article = format!("https://www.example.cn/p/{i}");
        let body = with(
            valid_inquiry(),
            &[("phone", json!(input)), ("article_url", json!(article))],
        );
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 201, "{input}");
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            row(&app, &id).await.phone.as_deref(),
            Some(*e164),
            "{input}"
        );
    }
}

#[tokio::test]
async fn articles_are_found_by_canonical_url_and_keep_their_title() {
    let app = spawn_app().await;
    let urls = [
        "https://WWW.example.cn:443/zhuhai/1.html?b=2&a=1#form",
        "https://www.example.cn/zhuhai/1.html?a=1&b=2&utm_source=wx&from=singlemessage&isappinstalled=0",
        "https://www.example.cn/zhuhai/1.html?gclid=x&a=1&spm=y&b=2&fbclid=z&scene=1&nsukey=k",
    ];
    for (i, url) in urls.iter().enumerate() {
        let phone = format!("1391234567{i}");
        let body = with(
            valid_inquiry(),
            &[("article_url", json!(url)), ("phone", json!(phone))],
        );
        assert_eq!(app.post_json(&body).await.status(), 201, "{url}");
    }
    let articles: Vec<(String, Option<String>)> = sqlx::query_as("SELECT url, title FROM articles")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        articles,
        vec![(
            "https://www.example.cn/zhuhai/1.html?a=1&b=2".to_string(),
            Some("高新区标准厂房出租".to_string())
        )]
    );
    assert_eq!(
        app.count("SELECT count(DISTINCT article_id) FROM inquiries")
            .await,
        1
    );
}

#[tokio::test]
async fn the_referer_gives_the_article_when_article_url_is_absent() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec!["*.example.cn".parse().unwrap()];
    })
    .await;
    let mut body = valid_inquiry();
    body.as_object_mut().unwrap().remove("article_url");
    let cases = [
        (
            "https://www.example.cn/a/2.html?utm_source=wx",
            Some("https://www.example.cn/a/2.html"),
        ),
        ("https://www.other.cn/a/3.html", None),
        ("https://www.example.cn/", None),
        ("not a url", None),
    ];
    for (i, (referer, expected)) in cases.iter().enumerate() {
        let body = with(body.clone(), &[("phone", json!(format!("1381234567{i}")))]);
        let response = app
            .client
            .post(app.url("/api/v1/inquiries"))
            .header("referer", *referer)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "a referer is never an error: {referer}"
        );
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let url: Option<String> = sqlx::query_scalar(
            "SELECT a.url FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id WHERE i.id = $1::uuid",
        )
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(url.as_deref(), *expected, "{referer}");
    }
}

#[tokio::test]
async fn outbox_rows_follow_the_notify_routes() {
    let app = spawn_app_with(|s| {
        s.notify.routes = serde_json::from_value(json!([
            {"article_url_prefix": "https://www.example.cn/zhuhai/", "recipients": ["zhuhai@example.cn", "boss@example.cn"]},
            {"host": "www.example.cn", "recipients": ["site@example.cn"]}
        ]))
        .unwrap();
    })
    .await;
    let cases = [
        (
            "https://www.example.cn/zhuhai/9.html",
            vec!["boss@example.cn", "zhuhai@example.cn"],
        ),
        (
            "https://www.example.cn/shenzhen/9.html",
            vec!["site@example.cn"],
        ),
        ("https://other.example.org/9.html", vec!["sales@example.cn"]),
    ];
    for (url, expected) in cases {
        let body = with(valid_inquiry(), &[("article_url", json!(url))]);
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 201);
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let recipients: Vec<String> = sqlx::query_scalar(
            "SELECT recipient FROM outbox WHERE inquiry_id = $1::uuid ORDER BY recipient",
        )
        .bind(&id)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        assert_eq!(recipients, expected, "{url}");
    }
}

#[tokio::test]
async fn without_recipients_the_inquiry_is_still_stored() {
    let app = spawn_app_with(|s| s.notify.default_recipients.clear()).await;
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
    assert_eq!(app.inquiry_count().await, 1);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn consent_is_required_when_configured_and_stored_with_the_notice_version() {
    let app = spawn_app_with(|s| {
        s.intake.require_consent = true;
        s.intake.privacy_notice_version = "2026-01".into();
    })
    .await;
    let mut form: Vec<(&str, &str)> = vec![
        ("need", "求租厂房"),
        ("contact", "王总"),
        ("phone", "13912345678"),
    ];
    let refused = app.post_form(&form).await;
    assert_eq!(
        crate::helpers::field_errors(refused).await,
        vec![("consent".to_string(), "consent_required".to_string())]
    );
    form.push(("consent", "on"));
    let response = app.post_form(&form).await;
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = row(&app, &id).await;
    assert_eq!(r.consent, Some(true));
    assert_eq!(r.privacy_notice_version.as_deref(), Some("2026-01"));
}

#[tokio::test]
async fn the_client_ip_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
    let untrusted = spawn_app().await;
    let trusted = spawn_app_with(|s| {
        s.server.trusted_proxies =
            vec!["127.0.0.1".parse().unwrap(), "10.0.0.0/8".parse().unwrap()];
    })
    .await;
    for (app, expected) in [(&untrusted, "127.0.0.1"), (&trusted, "203.0.113.7")] {
        let response = app
            .client
            .post(app.url("/api/v1/inquiries"))
            .header("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.2.3")
            .json(&valid_inquiry())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(row(app, &id).await.client_ip.as_deref(), Some(expected));
    }
}

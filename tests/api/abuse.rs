//! Rate limit, fill-time token, CORS.

use std::time::Duration;

use inquiry_desk::domain::form_token;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, valid_inquiry, with};

fn phone(n: usize) -> String {
    format!("1390000{n:04}")
}

#[tokio::test]
async fn the_intake_rate_limit_is_a_token_bucket_per_client_ip() {
    let app = spawn_app_with(|s| {
        s.intake.rate_limit_per_minute = 60;
        s.intake.rate_limit_burst = 3;
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let post = |n: usize, ip: &'static str| {
        app.client
            .post(app.url("/api/v1/inquiries"))
            .header("x-forwarded-for", ip)
            .json(&with(valid_inquiry(), &[("phone", json!(phone(n)))]))
            .send()
    };
    for n in 0..3 {
        assert_eq!(
            post(n, "203.0.113.1").await.unwrap().status(),
            201,
            "burst {n}"
        );
    }
    let limited = post(3, "203.0.113.1").await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=2).contains(&retry_after),
        "one token a second: {retry_after}"
    );
    let problem: Value = limited.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    assert_eq!(app.inquiry_count().await, 3, "nothing stored");
    // Another client has a bucket of its own.
    assert_eq!(post(4, "203.0.113.2").await.unwrap().status(), 201);
    // The bucket refills at the configured rate.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(post(5, "203.0.113.1").await.unwrap().status(), 201);
}

#[tokio::test]
async fn the_fill_time_token_catches_fast_forged_and_old_submissions() {
    let app = spawn_app_with(|s| {
        s.intake.form_token_secret = SecretString::from("shared-secret".to_string());
        s.intake.min_fill_time = Duration::from_secs(3);
    })
    .await;
    let response = app
        .client
        .get(app.url("/api/v1/form-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let fresh = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let cases = [
        (
            Some(fresh.clone()),
            "spam",
            "submitted faster than min_fill_time",
        ),
        (
            Some(form_token::issue(b"shared-secret", now - 60_000)),
            "new",
            "a minute to fill the form",
        ),
        (
            Some(form_token::issue(b"other-secret", now - 60_000)),
            "spam",
            "forged",
        ),
        (
            Some(form_token::issue(b"shared-secret", now - 25 * 3600 * 1000)),
            "spam",
            "older than a day",
        ),
        (Some("garbage".to_string()), "spam", "garbled"),
        (None, "new", "no token: no check"),
    ];
    for (n, (token, expected, what)) in cases.into_iter().enumerate() {
        let mut body = with(valid_inquiry(), &[("phone", json!(phone(n)))]);
        if let Some(token) = token {
            body["_ts"] = json!(token);
        }
        let response = app.post_json(&body).await;
        assert_eq!(response.status(), 201, "{what}: answered like a success");
        let id = response.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, reason): (String, Option<String>) =
            sqlx::query_as("SELECT status, spam_reason FROM inquiries WHERE id = $1::uuid")
                .bind(&id)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(status, expected, "{what}");
        if expected == "spam" {
            assert_eq!(reason.as_deref(), Some("form_token"), "{what}");
        }
    }
}

#[tokio::test]
async fn cors_allows_the_site_on_the_public_endpoints_and_staff_origins_elsewhere() {
    let app = spawn_app_with(|s| {
        s.intake.allowed_site_hosts = vec!["*.example.cn".parse().unwrap()];
        s.staff.cors_origins = vec!["https://crm.example.com".into()];
    })
    .await;
    let preflight = |path: &str, origin: &str, method: &str| {
        app.client
            .request(Method::OPTIONS, app.url(path))
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = |r: &reqwest::Response| {
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let cases = [
        (
            "/api/v1/inquiries",
            "https://www.example.cn",
            "POST",
            Some("https://www.example.cn"),
        ),
        (
            "/api/v1/inquiries",
            "http://m.example.cn",
            "POST",
            Some("http://m.example.cn"),
        ),
        (
            "/api/v1/inquiries",
            "https://evil.example.org",
            "POST",
            None,
        ),
        // The embedded form on a page read through Google Translate posts from the proxy.
        (
            "/api/v1/inquiries",
            "https://www-example-cn.translate.goog",
            "POST",
            Some("https://www-example-cn.translate.goog"),
        ),
        (
            "/api/v1/form-token",
            "https://m-example-cn.translate.goog",
            "GET",
            Some("https://m-example-cn.translate.goog"),
        ),
        (
            "/api/v1/inquiries",
            "https://evil-example-org.translate.goog",
            "POST",
            None,
        ),
        (
            "/api/v1/form-token",
            "https://www.example.cn",
            "GET",
            Some("https://www.example.cn"),
        ),
        ("/api/v1/inquiries", "https://www.example.cn", "GET", None),
        (
            "/api/v1/inquiries",
            "https://crm.example.com",
            "GET",
            Some("https://crm.example.com"),
        ),
        ("/api/v1/keys", "https://www.example.cn", "POST", None),
        (
            "/api/v1/keys",
            "https://crm.example.com",
            "POST",
            Some("https://crm.example.com"),
        ),
    ];
    for (path, origin, method, expected) in cases {
        let response = preflight(path, origin, method).await.unwrap();
        assert_eq!(
            allowed(&response).as_deref(),
            expected,
            "{method} {path} from {origin}"
        );
    }
    // The actual request from the site gets the header (and Location exposed).
    let response = app
        .client
        .post(app.url("/api/v1/inquiries"))
        .header("origin", "https://www.example.cn")
        .json(&valid_inquiry())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        allowed(&response).as_deref(),
        Some("https://www.example.cn")
    );
    assert!(response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase()
        .contains("location"));
    // A disallowed origin is not blocked (same-origin pages work), it just gets no CORS headers.
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("origin", "https://evil.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(allowed(&response), None);
}

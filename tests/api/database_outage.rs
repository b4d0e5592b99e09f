//! With the database unreachable, intake answers 503 quickly, and recovers by itself.

use std::time::{Duration, Instant};

use inquiry_desk::startup::Application;
use inquiry_desk::storage::connection;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{
    migrated_database, spawn_app_with, test_settings, valid_inquiry, with, DbProxy,
};

/// The service on a database reached through a proxy that the test can cut; the test's own
/// pool goes straight to the database.
async fn spawn_behind_proxy() -> (String, DbProxy, reqwest::Client, sqlx::PgPool) {
    let url = migrated_database().await;
    let direct = sqlx::PgPool::connect(&url).await.unwrap();
    let mut parsed = url::Url::parse(&url).unwrap();
    let target = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let target = tokio::net::lookup_host(target)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = DbProxy::start(target).await;
    parsed.set_host(Some("127.0.0.1")).unwrap();
    parsed.set_port(Some(proxy.port)).unwrap();
    let mut settings = test_settings();
    settings.database.url = SecretString::from(parsed.to_string());
    settings.database.acquire_timeout = Duration::from_secs(2);
    let pool = connection::pool(&settings.database).unwrap();
    let app = Application::build(settings, pool, Some(1)).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, proxy, reqwest::Client::new(), direct)
}

#[tokio::test]
async fn intake_answers_503_when_the_database_is_down_and_recovers_when_it_returns() {
    let (address, proxy, client, pool) = spawn_behind_proxy().await;
    let post = || {
        client
            .post(format!("{address}/api/v1/inquiries"))
            .json(&valid_inquiry())
            .send()
    };

    assert_eq!(
        post().await.unwrap().status(),
        201,
        "working before the outage"
    );

    proxy.cut();
    let started = Instant::now();
    let response = post().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(response.status(), 503);
    assert!(waited < Duration::from_secs(5), "answered in {waited:?}");
    assert_eq!(response.headers()["retry-after"], "5");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "service_unavailable");
    let ready = client
        .get(format!("{address}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);

    proxy.restore();
    // The same service, not restarted: a repeat of the first inquiry proves both the first
    // was kept and the new request reached the database.
    let response = post().await.unwrap();
    assert_eq!(response.status(), 201);
    let receipt = response.json::<Value>().await.unwrap()["id"].clone();
    let repeats: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inquiry_events WHERE kind = 'repeat' AND receipt_id::text = $1",
    )
    .bind(receipt.as_str())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        repeats, 1,
        "filed as a repeat of the inquiry kept before the outage"
    );
    assert_eq!(
        client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn intake_answers_503_when_nothing_listens_on_the_database_port() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut settings = test_settings();
    settings.database.url =
        SecretString::from(format!("postgres://postgres@127.0.0.1:{port}/inquiry_desk"));
    let pool = connection::pool(&settings.database).unwrap();
    let app = Application::build(settings, pool, Some(1)).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{address}/api/v1/inquiries"))
        .json(&valid_inquiry())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(response.headers().contains_key("retry-after"));
}

/// Ends the service's connections to its database, as a database restart or an idle-session
/// timeout would; the test's own connection stays.
async fn end_service_connections(app: &crate::helpers::TestApp) {
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
}

fn inquiry_from(phone: &str) -> Value {
    with(valid_inquiry(), &[("phone", serde_json::json!(phone))])
}

#[tokio::test]
async fn an_intake_connection_the_database_closed_is_replaced_not_reused() {
    // One intake connection, so every post goes through the same one.
    let app = spawn_app_with(|s| s.database.intake_connections = 1).await;
    assert_eq!(
        app.post_json(&inquiry_from("13900000001")).await.status(),
        201
    );

    // Closed right after use: the next post may fail on it (503, nothing stored), but a
    // failed connection is checked before reuse, so the post after that succeeds.
    end_service_connections(&app).await;
    let status = app.post_json(&inquiry_from("13900000002")).await.status();
    assert!(status == 201 || status == 503, "got {status}");
    assert_eq!(
        app.post_json(&inquiry_from("13900000003")).await.status(),
        201
    );

    // Closed while idle for over a second: checked before use, replaced, never a 503.
    end_service_connections(&app).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        app.post_json(&inquiry_from("13900000004")).await.status(),
        201
    );

    let expected = if status == 201 { 4 } else { 3 };
    assert_eq!(app.inquiry_count().await, expected);
}

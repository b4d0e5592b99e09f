//! With the database unreachable, intake answers 503 quickly, and recovers by itself.

use std::time::{Duration, Instant};

use inquiry_desk::db;
use inquiry_desk::startup::Application;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{migrated_database, test_settings, valid_inquiry, DbProxy};

async fn spawn_behind_proxy() -> (String, DbProxy, reqwest::Client) {
    let url = migrated_database().await;
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
    let pool = db::pool(&settings.database).unwrap();
    let app = Application::build(settings, pool, Some(1)).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (address, proxy, reqwest::Client::new())
}

#[tokio::test]
async fn intake_answers_503_when_the_database_is_down_and_recovers_when_it_returns() {
    let (address, proxy, client) = spawn_behind_proxy().await;
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
    // The same service, not restarted: a duplicate of the first inquiry proves both the first
    // was kept and the new request reached the database.
    let response = post().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["duplicate"], true);
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
    let pool = db::pool(&settings.database).unwrap();
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

//! The binary as operators run it: `serve` creates and migrates its database, runs the worker,
//! logs one JSON line per request with phones masked, and shuts down gracefully on SIGTERM.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::launcher::Service;
use crate::helpers::{fresh_database_url, valid_inquiry, SmtpSink};

#[tokio::test]
async fn serve_creates_its_database_sends_mail_masks_phones_and_stops_on_sigterm() {
    let sink = SmtpSink::start().await;
    let port = SmtpSink::reserve_port();
    let database_url = fresh_database_url(); // does not exist yet
    let mut child = Command::new(env!("CARGO_BIN_EXE_inquiry-desk"))
        .arg("serve")
        .env("DATABASE_URL", &database_url)
        .env("INQUIRY_DESK__SERVER__PORT", port.to_string())
        .env("INQUIRY_DESK__LOG__FORMAT", "json")
        .env(
            "INQUIRY_DESK__NOTIFY__DEFAULT_RECIPIENTS",
            "sales@example.cn",
        )
        .env("INQUIRY_DESK__NOTIFY__SMTP__HOST", "127.0.0.1")
        .env("INQUIRY_DESK__NOTIFY__SMTP__PORT", sink.port.to_string())
        .env("INQUIRY_DESK__NOTIFY__SMTP__TLS", "none")
        .env_remove("APP_ENV")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start inquiry-desk serve");

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "service did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut body = valid_inquiry();
    body["email"] = "wang.visitor@example.org".into();
    let response = client
        .post(format!("{base}/api/v1/inquiries"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let bad = client
        .post(format!("{base}/api/v1/inquiries"))
        .json(&serde_json::json!({"need": "x", "contact": "y", "phone": "1391234567"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let messages = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        messages.len(),
        1,
        "the worker inside serve sent the notification"
    );

    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "no graceful exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "graceful shutdown exits 0");

    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}")))
        .collect();
    let requests: Vec<_> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert!(requests.len() >= 3, "one line per request: {logs}");
    assert!(
        requests
            .iter()
            .all(|l| l["span"]["request_id"].is_string() || l["request_id"].is_string()),
        "{logs}"
    );
    assert!(
        logs.contains("139****5678"),
        "the masked phone is logged: {logs}"
    );
    for secret in [
        "13912345678",
        "1391234567",
        "wang.visitor",
        "王总",
        "珠海某某",
    ] {
        assert!(
            !logs.contains(secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}

/// Starts `serve` on this database and port with the fill-time check armed (the shared
/// launcher, `tests/support/launcher.rs`), and waits until it is ready. The caller ends it with
/// `Service::stop`.
pub(crate) async fn serve_ready(database_url: &str, port: u16) -> Service {
    let env = [("INQUIRY_DESK__INTAKE__MIN_FILL_TIME", "1s".to_string())];
    let mut service = Service::start(
        env!("CARGO_BIN_EXE_inquiry-desk"),
        database_url,
        Some(port),
        &env,
    )
    .expect("start inquiry-desk serve");
    service
        .wait_ready(Duration::from_secs(60), Duration::from_millis(100))
        .await
        .expect("serve ready");
    service
}

#[tokio::test]
async fn a_form_token_fetched_before_a_restart_or_from_another_instance_files_a_real_lead() {
    // With no form_token_secret configured (the default), the key is kept in the database:
    // a deploy between the visitor's page load and their post must not make them spam.
    let database_url = fresh_database_url();
    let (port_a, port_b) = (SmtpSink::reserve_port(), SmtpSink::reserve_port());
    let client = reqwest::Client::new();
    let token = |port: u16| {
        let client = client.clone();
        async move {
            let answer: serde_json::Value = client
                .get(format!("http://127.0.0.1:{port}/api/v1/form-token"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["token"].as_str().unwrap().to_string()
        }
    };
    let first = serve_ready(&database_url, port_a).await;
    let before_restart = token(port_a).await;
    first.stop();
    let restarted = serve_ready(&database_url, port_a).await;
    let other = serve_ready(&database_url, port_b).await;
    let from_other_instance = token(port_b).await;
    tokio::time::sleep(Duration::from_millis(1100)).await; // past min_fill_time
    for (n, (ts, port)) in [(&before_restart, port_a), (&from_other_instance, port_a)]
        .into_iter()
        .enumerate()
    {
        let body = crate::helpers::with(
            valid_inquiry(),
            &[
                ("_ts", serde_json::json!(ts)),
                ("phone", serde_json::json!(format!("1391234{n:04}"))),
            ],
        );
        let response = client
            .post(format!("http://127.0.0.1:{port}/api/v1/inquiries"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    // A forged token still files as spam: the check is armed.
    let forged = crate::helpers::with(
        valid_inquiry(),
        &[
            ("_ts", serde_json::json!("1700000000000.deadbeef")),
            ("phone", serde_json::json!("13912349999")),
        ],
    );
    let response = client
        .post(format!("http://127.0.0.1:{port_b}/api/v1/inquiries"))
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    restarted.stop();
    other.stop();

    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT phone, status FROM inquiries ORDER BY phone")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        statuses,
        [
            ("+8613912340000".to_string(), "new".to_string()),
            ("+8613912340001".to_string(), "new".to_string()),
            ("+8613912349999".to_string(), "spam".to_string()),
        ],
        "tokens from before the restart and from the other instance verify"
    );
    pool.close().await;
}

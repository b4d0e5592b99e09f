//! SMTP over STARTTLS and implicit TLS with a private CA (`notify.smtp.ca_file`), and AUTH with
//! the configured credentials, against aiosmtpd.

use inquiry_desk::settings::SmtpTls;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{private_ca, spawn_app_with, valid_inquiry, SmtpSink};

async fn deliver_through(
    sink: &SmtpSink,
    tls: SmtpTls,
    ca: &std::path::Path,
    password: &str,
) -> (String, i32, Option<String>) {
    let port = sink.port;
    let ca = ca.to_string_lossy().into_owned();
    let password = password.to_string();
    let app = spawn_app_with(move |s| {
        s.notify.smtp.host = "127.0.0.1".into();
        s.notify.smtp.port = port;
        s.notify.smtp.tls = tls;
        s.notify.smtp.ca_file = ca;
        s.notify.smtp.username = "relay-user".into();
        s.notify.smtp.password = SecretString::from(password);
    })
    .await;
    let response = app.post_json(&valid_inquiry()).await;
    assert_eq!(response.status(), 201);
    let _: Value = response.json().await.unwrap();
    app.worker().dispatch_pending().await.unwrap();
    sqlx::query_as("SELECT state, attempts, last_error FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn starttls_with_a_private_ca_and_auth_delivers() {
    let dir = std::env::temp_dir().join(format!("inquiry-desk-ca-{}", uuid::Uuid::new_v4()));
    let (ca, cert, key) = private_ca(&dir);
    let (cert, key) = (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    let sink =
        SmtpSink::start_with(&["--starttls", &cert, &key, "--auth", "relay-user:s3cret"]).await;
    let (state, attempts, _) = deliver_through(&sink, SmtpTls::Starttls, &ca, "s3cret").await;
    assert_eq!((state.as_str(), attempts), ("sent", 1));
    let raw = String::from_utf8(sink.raw_messages().remove(0)).unwrap();
    assert!(raw.contains("X-Tls: yes"), "encrypted after STARTTLS");
    assert!(
        raw.contains("X-Auth: relay-user"),
        "authenticated with the configured user"
    );
}

#[tokio::test]
async fn implicit_tls_delivers_and_an_untrusted_certificate_does_not() {
    let dir = std::env::temp_dir().join(format!("inquiry-desk-ca-{}", uuid::Uuid::new_v4()));
    let (ca, cert, key) = private_ca(&dir);
    let (cert, key) = (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    );
    let sink = SmtpSink::start_with(&["--tls", &cert, &key, "--auth", "relay-user:s3cret"]).await;
    let (state, _, _) = deliver_through(&sink, SmtpTls::Tls, &ca, "s3cret").await;
    assert_eq!(state, "sent");
    let raw = String::from_utf8(sink.raw_messages().remove(0)).unwrap();
    assert!(
        raw.contains("X-Tls: yes") && raw.contains("X-Auth: relay-user"),
        "{raw}"
    );

    // Without the private CA the certificate is not trusted: nothing is sent in clear, the row
    // waits for a retry.
    let other = std::env::temp_dir().join(format!("inquiry-desk-ca-{}", uuid::Uuid::new_v4()));
    let (wrong_ca, _, _) = private_ca(&other);
    let (state, attempts, _) = deliver_through(&sink, SmtpTls::Tls, &wrong_ca, "s3cret").await;
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert_eq!(sink.raw_messages().len(), 1);
}

//! `/metrics` in Prometheus format.

use serde_json::json;

use crate::helpers::{spawn_app_with, use_smtp, valid_inquiry, with, SmtpSink};

/// The value of one sample line (`name{labels} value`), 0 when absent.
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_outcomes_and_the_outbox() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = spawn_app_with(|s| {
        use_smtp(s, port);
        s.notify.default_recipients = vec![
            "sales@example.cn".parse().unwrap(),
            "reject@example.cn".parse().unwrap(),
        ];
    })
    .await;
    let scrape = || async {
        app.client
            .get(app.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // The recorder is process-wide (other tests run alongside): compare before and after.
    let before = scrape().await;
    app.submit(&valid_inquiry()).await;
    app.submit(&valid_inquiry()).await; // duplicate
    app.submit(&with(
        valid_inquiry(),
        &[("website", json!("x")), ("phone", json!("13800138000"))],
    ))
    .await;
    assert_eq!(app.post_json(&json!({"need": ""})).await.status(), 422);

    let middle = scrape().await;
    for (outcome, n) in [
        ("created", 1.0),
        ("duplicate", 1.0),
        ("spam", 1.0),
        ("rejected", 1.0),
    ] {
        let key = format!("inquiries_total{{outcome=\"{outcome}\"}}");
        assert!(
            sample(&middle, &key) - sample(&before, &key) >= n,
            "{key}\n{middle}"
        );
    }
    let route = "http_requests_total{route=\"/api/v1/inquiries\",method=\"POST\",status=\"201\"}";
    assert!(
        sample(&middle, route) - sample(&before, route) >= 1.0,
        "{middle}"
    );
    assert!(
        middle.contains("http_request_duration_seconds_bucket{route=\"/api/v1/inquiries\""),
        "{middle}"
    );
    assert_eq!(
        sample(&middle, "outbox_pending"),
        2.0,
        "this app's database: two rows queued"
    );
    assert!(sample(&middle, "outbox_oldest_pending_age_seconds") >= 0.0);

    app.worker().dispatch_pending().await.unwrap();
    let after = scrape().await;
    assert_eq!(sample(&after, "outbox_pending"), 0.0);
    assert_eq!(sample(&after, "outbox_dead"), 1.0, "the 550 recipient");
    for outcome in ["sent", "dead"] {
        let key = format!("notifications_total{{outcome=\"{outcome}\"}}");
        assert!(
            sample(&after, &key) - sample(&middle, &key) >= 1.0,
            "{key}\n{after}"
        );
    }
    assert_eq!(sample(&after, "database_up"), 1.0);
}

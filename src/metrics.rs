//! Prometheus metrics: request counts and latencies per route and status, inquiries by outcome,
//! notification outcomes (counters, recorded where they happen), and the outbox gauges (read from
//! the database at scrape time, so every instance reports the shared queue).

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process-wide recorder once; later calls return the same handle.
pub fn init() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (embedding): keep a private one for rendering.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Histogram samples wait in the recorder until an upkeep folds them into buckets; without
/// scrapes they would pile up. One task per process runs the upkeep every few seconds.
pub fn schedule_upkeep(tasks: &mut crate::tasks::Tasks) {
    static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if STARTED.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let handle = init();
    let every = std::time::Duration::from_secs(5);
    tasks.every("metrics upkeep", every, every, every, move || {
        handle.run_upkeep();
        std::future::ready(Ok::<(), std::convert::Infallible>(()))
    });
}

pub fn inquiry_outcome(outcome: &'static str) {
    metrics::counter!("inquiries_total", "outcome" => outcome).increment(1);
}

pub fn notification_outcome(outcome: &'static str) {
    metrics::counter!("notifications_total", "outcome" => outcome).increment(1);
}

/// One outcome of a notification by channel (`email` for mail): `sent`, `retry`, `dead`, and
/// for group robots and webhooks `deferred` (the channel's rate said not now) and `throttled`
/// (the platform answered so; the channel pauses).
pub fn channel_outcome(channel: &str, outcome: &'static str) {
    metrics::counter!("channel_notifications_total", "channel" => channel.to_string(), "outcome" => outcome)
        .increment(1);
}

pub fn request(route: &str, method: &str, status: u16, seconds: f64) {
    let labels = [
        ("route", route.to_string()),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus metrics", content_type = "text/plain")))]
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let handle = init();
    handle.run_upkeep();
    match state.db(crate::storage::outbox::gauges(&state.pool)).await {
        Ok(g) => {
            metrics::gauge!("outbox_pending").set(g.pending as f64);
            metrics::gauge!("outbox_oldest_pending_age_seconds").set(g.oldest_pending_age_seconds);
            metrics::gauge!("outbox_dead").set(g.dead as f64);
            metrics::gauge!("database_up").set(1.0);
        }
        Err(_) => metrics::gauge!("database_up").set(0.0),
    }
    if let Ok(channels) = state
        .db(crate::storage::outbox::gauges_by_channel(&state.pool))
        .await
    {
        // Every configured channel has its series, 0 when its queue is empty.
        let configured = std::iter::once("email".to_string()).chain(
            state
                .settings
                .notify
                .channels
                .iter()
                .map(|c| c.name.clone()),
        );
        let mut by_channel: std::collections::BTreeMap<String, (i64, i64)> =
            configured.map(|name| (name, (0, 0))).collect();
        for c in channels {
            by_channel.insert(c.channel, (c.pending, c.dead));
        }
        for (channel, (pending, dead)) in by_channel {
            metrics::gauge!("channel_outbox_pending", "channel" => channel.clone())
                .set(pending as f64);
            metrics::gauge!("channel_outbox_dead", "channel" => channel).set(dead as f64);
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

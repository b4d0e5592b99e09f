//! Channels on the outbox (SPEC §6): each new inquiry gets a row per channel in the intake
//! transaction; the worker delivers it to a real HTTP peer implementing the platform's contract;
//! a refused signature is dead after one attempt; throttling pauses the channel without
//! counting the attempt; the rate is counted in PostgreSQL, so two workers share it.

use std::time::Duration;

use inquiry_desk::settings::Channel;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, valid_inquiry, RobotPeer, TestApp};

const DINGTALK_SECRET: &str = "SEC9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
const FEISHU_SECRET: &str = "feishu-secret-for-tests";
const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn channels(values: Vec<Value>) -> Vec<Channel> {
    values
        .into_iter()
        .map(|v| {
            let mut c: Channel = serde_json::from_value(v).unwrap();
            c.check().unwrap();
            c
        })
        .collect()
}

/// An app that tells only these channels (no email), every one by default.
async fn app_with(list: Vec<Channel>) -> TestApp {
    spawn_app_with(move |s| {
        s.notify.default_recipients = Vec::new();
        s.notify.default_channels = list.iter().map(|c| c.name.clone()).collect();
        s.notify.channels = list;
    })
    .await
}

fn inquiry_from(phone: &str) -> Value {
    let mut body = valid_inquiry();
    body["phone"] = phone.into();
    body
}

async fn notifications(app: &TestApp) -> Vec<(String, String, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT channel, state, attempts, last_error FROM outbox ORDER BY channel, created_at",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_new_inquiry_reaches_every_channel_through_the_outbox() {
    let peer = RobotPeer::start(&[
        "--dingtalk-secret",
        DINGTALK_SECRET,
        "--feishu-secret",
        FEISHU_SECRET,
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--keyword",
        "新询盘",
    ])
    .await;
    let app = app_with(channels(vec![
        json!({"name": "wecom", "kind": "wecom", "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")}),
        json!({"name": "dingtalk", "kind": "dingtalk", "webhook_url": peer.url("/robot/send?access_token=dingtalk-token"), "secret": DINGTALK_SECRET}),
        json!({"name": "feishu", "kind": "feishu", "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook"), "secret": FEISHU_SECRET}),
        json!({"name": "crm", "kind": "webhook", "webhook_url": peer.url("/hooks"), "secret": WEBHOOK_SECRET}),
    ]))
    .await;
    let id = app.submit(&valid_inquiry()).await;
    // The rows were written with the inquiry, one per channel.
    let queued = notifications(&app).await;
    let names: Vec<&str> = queued.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(names, ["crm", "dingtalk", "feishu", "wecom"]);
    app.worker().dispatch_pending().await.unwrap();
    for (channel, state, attempts, error) in notifications(&app).await {
        assert_eq!(
            (state.as_str(), attempts, error),
            ("sent", 1, None),
            "{channel}"
        );
    }
    let received = peer.received().await;
    let platforms: Vec<&str> = received
        .iter()
        .map(|r| r["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms.len(), 4, "{platforms:?}");
    let webhook = received
        .iter()
        .find(|r| r["platform"] == "webhook")
        .unwrap();
    assert_eq!(webhook["body"]["type"], "inquiry.received");
    assert_eq!(webhook["body"]["inquiry"]["id"], id.as_str());
    assert_eq!(webhook["body"]["inquiry"]["phone"], "+8613912345678");
    // Staff see each channel's state; the timeline says where it went.
    let admin = app.admin().await;
    let detail = app
        .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
        .await;
    let shown: Vec<(&str, &str)> = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["channel"].as_str().unwrap(), n["state"].as_str().unwrap()))
        .collect();
    assert!(
        shown.contains(&("wecom", "sent")) && shown.contains(&("crm", "sent")),
        "{shown:?}"
    );
    let sent_events = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "notification_sent")
        .count();
    assert_eq!(sent_events, 4);
}

#[tokio::test]
async fn a_refused_signature_is_dead_after_one_attempt_with_the_platforms_code() {
    let peer = RobotPeer::start(&["--dingtalk-secret", DINGTALK_SECRET]).await;
    let app = app_with(channels(vec![json!({"name": "dd", "kind": "dingtalk",
        "webhook_url": peer.url("/robot/send?access_token=dingtalk-token"),
        "secret": "SECthe-wrong-secret"})]))
    .await;
    app.submit(&valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    let rows = notifications(&app).await;
    assert_eq!(rows.len(), 1);
    let (_, state, attempts, error) = &rows[0];
    assert_eq!((state.as_str(), *attempts), ("dead", 1));
    assert!(
        error
            .as_deref()
            .unwrap()
            .starts_with("310000 sign not match"),
        "{error:?}"
    );
    // Nothing more is tried: it is dead.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(peer.requests("dingtalk").await, 1);
}

#[tokio::test]
async fn a_throttled_channel_pauses_and_then_recovers_without_losing_attempts() {
    // The peer allows one request per 2 s window; the channel pauses 2 s when throttled.
    let peer = RobotPeer::start(&["--rate", "1", "--minute", "2"]).await;
    let app = app_with(channels(vec![json!({"name": "w", "kind": "wecom",
        "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key"),
        "throttle_pause": "2s"})]))
    .await;
    app.submit(&inquiry_from("13900000001")).await;
    app.submit(&inquiry_from("13900000002")).await;
    app.worker().dispatch_pending().await.unwrap();
    // Both rows go out at once; the peer takes one, throttles the other (whichever it is).
    let rows = notifications(&app).await;
    let mut states: Vec<(&str, i32)> = rows.iter().map(|r| (r.1.as_str(), r.2)).collect();
    states.sort();
    assert_eq!(
        states,
        [("pending", 0), ("sent", 1)],
        "the throttled one is not a failed attempt"
    );
    let waiting = rows.iter().find(|r| r.1 == "pending").unwrap();
    assert!(
        waiting.3.as_deref().unwrap().starts_with("45009"),
        "{rows:?}"
    );
    let throttled: i64 = app
        .count("SELECT count(*) FROM outbox_attempts WHERE outcome = 'throttled'")
        .await;
    assert_eq!(throttled, 1, "the throttled attempt is recorded");
    // During the pause nothing is sent, even when asked.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(peer.requests("wecom").await, 2);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    app.worker().dispatch_pending().await.unwrap();
    let states: Vec<String> = notifications(&app).await.into_iter().map(|r| r.1).collect();
    assert_eq!(states, ["sent", "sent"]);
    assert_eq!(
        peer.received().await.len(),
        2,
        "each inquiry announced once"
    );
}

/// A partner's system that answers its first signed request 503, and the `crm` webhook channel
/// to it.
async fn partner_failing_once() -> (RobotPeer, Vec<Channel>) {
    let peer = RobotPeer::start(&[
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--webhook-fail-first",
        "1",
    ])
    .await;
    let list = channels(vec![json!({"name": "crm", "kind": "webhook",
        "webhook_url": peer.url("/hooks"), "secret": WEBHOOK_SECRET})]);
    (peer, list)
}

#[tokio::test]
async fn a_webhook_keeps_its_id_across_attempts() {
    let (peer, list) = partner_failing_once().await;
    let app = spawn_app_with(move |s| {
        s.notify.default_recipients = Vec::new();
        s.notify.default_channels = vec!["crm".into()];
        s.notify.channels = list;
        s.notify.retry_initial_delay = Duration::from_millis(10);
    })
    .await;
    app.submit(&valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.worker().dispatch_pending().await.unwrap();
    let rows = notifications(&app).await;
    assert_eq!(
        (rows[0].1.as_str(), rows[0].2),
        ("sent", 2),
        "a 503, then sent: {rows:?}"
    );
    let outbox_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let ids: Vec<String> = reqwest::get(peer.url("/_webhook_ids"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = format!("msg_{}", outbox_id.simple());
    assert_eq!(
        ids,
        [expected.clone(), expected],
        "the receiver can drop the duplicate"
    );
}

/// The minute passes for a channel's rate: its requests are moved a minute back and its
/// waiting rows made due (what the clock would do; the window is a minute long).
async fn a_minute_passes(app: &TestApp) {
    app.count("WITH r AS (UPDATE channel_requests SET at = at - interval '62 seconds' RETURNING 1) SELECT count(*) FROM r").await;
    app.count("WITH o AS (UPDATE outbox SET next_attempt_at = now() WHERE state = 'pending' RETURNING 1) SELECT count(*) FROM o").await;
}

/// The inquiry ids each received message links to, in order of arrival.
fn linked_ids(received: &[Value]) -> Vec<Vec<String>> {
    received
        .iter()
        .map(|r| {
            r["body"]
                .to_string()
                .split("/inbox#/inquiries/")
                .skip(1)
                .map(|rest| rest.chars().take(36).collect())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn two_workers_share_one_channels_rate_and_fold_what_waits() {
    let peer = RobotPeer::start(&[]).await;
    let app = app_with(channels(vec![json!({"name": "w", "kind": "wecom",
        "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key"),
        "rate_per_minute": 3})]))
    .await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(app.submit(&inquiry_from(&format!("1390000001{n}"))).await);
    }
    // Two workers (as two instances would run) work the queue side by side: the minute has
    // room for the three, each announced on its own.
    let (a, b) = (app.worker(), app.worker());
    let (ra, rb) = tokio::join!(a.dispatch_pending(), b.dispatch_pending());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(peer.requests("wecom").await, 3);
    for n in 3..8 {
        ids.push(app.submit(&inquiry_from(&format!("1390000001{n}"))).await);
    }
    let (ra, rb) = tokio::join!(a.dispatch_pending(), b.dispatch_pending());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(
        peer.requests("wecom").await,
        3,
        "the channel's rate holds across workers"
    );
    let rows = notifications(&app).await;
    let waiting: Vec<&(String, String, i32, Option<String>)> =
        rows.iter().filter(|r| r.1 == "pending").collect();
    assert_eq!(waiting.len(), 5);
    // The waiting ones are due when the window has room, their attempts given back.
    assert!(
        waiting.iter().all(|r| r.2 == 0 && r.3.is_none()),
        "{waiting:?}"
    );
    let due_in: f64 = app
        .count("SELECT min(extract(epoch FROM next_attempt_at - now()))::int8 FROM outbox WHERE state = 'pending'")
        .await as f64;
    assert!((50.0..=62.0).contains(&due_in), "due in {due_in} s");
    // When the minute has passed, the five waiting (more than its three) are one message.
    a_minute_passes(&app).await;
    let (ra, rb) = tokio::join!(a.dispatch_pending(), b.dispatch_pending());
    ra.unwrap();
    rb.unwrap();
    assert_eq!(peer.requests("wecom").await, 4);
    let received = peer.received().await;
    let fold = received[3]["body"]["markdown"]["content"].as_str().unwrap();
    assert!(fold.contains("另有 4 条新询盘"), "{fold}");
    assert!(
        fold.contains("139＊＊＊＊0014") && !fold.contains("13900000014"),
        "{fold}"
    );
    let mut announced: Vec<String> = linked_ids(&received).into_iter().flatten().collect();
    announced.sort();
    ids.sort();
    assert_eq!(announced, ids, "every inquiry once");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state = 'sent'")
            .await,
        8
    );
    let folded = app
        .count("SELECT count(*) FROM inquiry_events WHERE kind = 'notification_sent' AND (data->>'summary')::boolean")
        .await;
    assert_eq!(folded, 5, "the timeline says which went out folded");
}

#[tokio::test]
async fn a_backlog_over_the_size_limit_is_split_and_each_message_waits_its_turn() {
    let peer = RobotPeer::start(&[]).await;
    let app = app_with(channels(vec![
        json!({"name": "w", "kind": "wecom", "rate_per_minute": 2,
               "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")}),
        json!({"name": "f", "kind": "feishu", "rate_per_minute": 1,
               "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook")}),
    ]))
    .await;
    let mut ids = Vec::new();
    for n in 0..60 {
        let mut body = inquiry_from(&format!("139{n:08}"));
        body["need"] =
            format!("求租 {n} 号厂房，面积两千平方米以上，层高八米，带行车，近高速口优先考虑")
                .into();
        body["article_title"] = "珠海金湾区高栏港标准厂房招租 3000 平方米".into();
        ids.push(app.submit(&body).await);
    }
    ids.sort();
    app.worker().dispatch_pending().await.unwrap();
    // WeCom: two messages (its rate), each within 4,096 bytes, the rest waiting.
    let received = peer.received().await;
    let wecom: Vec<Value> = received
        .iter()
        .filter(|r| r["platform"] == "wecom")
        .cloned()
        .collect();
    assert_eq!(wecom.len(), 2);
    for message in &wecom {
        let content = message["body"]["markdown"]["content"].as_str().unwrap();
        assert!(content.len() <= 4096, "{} bytes", content.len());
        assert!(content.starts_with("**新询盘**") && content.contains("条新询盘**"));
        assert!(
            content.contains("](http") && content.contains("/inbox)"),
            "{content}"
        );
    }
    let carried: usize = linked_ids(&wecom).iter().map(Vec::len).sum();
    assert!((20..60).contains(&carried), "{carried} in two messages");
    let waiting = app
        .count("SELECT count(*) FROM outbox WHERE channel = 'w' AND state = 'pending' AND attempts = 0")
        .await;
    assert_eq!(waiting as usize, 60 - carried);
    // Feishu: all sixty in one post (20,000 bytes), at its one request a minute.
    let feishu: Vec<Value> = received
        .iter()
        .filter(|r| r["platform"] == "feishu")
        .cloned()
        .collect();
    assert_eq!(feishu.len(), 1);
    let mut in_post = linked_ids(&feishu).concat();
    in_post.sort();
    assert_eq!(in_post, ids);
    assert!(feishu[0]["body"].to_string().contains("另有 59 条新询盘"));
    // Minutes pass: every inquiry reaches the WeCom group once.
    for _ in 0..3 {
        a_minute_passes(&app).await;
        app.worker().dispatch_pending().await.unwrap();
    }
    let wecom: Vec<Value> = peer
        .received()
        .await
        .into_iter()
        .filter(|r| r["platform"] == "wecom")
        .collect();
    let mut announced = linked_ids(&wecom).concat();
    announced.sort();
    assert_eq!(announced, ids, "every inquiry once");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE state <> 'sent'")
            .await,
        0
    );
}

#[tokio::test]
async fn feishu_gets_no_more_than_five_a_second() {
    let peer = RobotPeer::start(&[]).await;
    let app = app_with(channels(vec![json!({"name": "f", "kind": "feishu",
        "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook")})]))
    .await;
    for n in 0..8 {
        app.submit(&inquiry_from(&format!("1390000002{n}"))).await;
    }
    app.worker().dispatch_pending().await.unwrap();
    // Its minute has room for all eight, its second for five: three wait about a second.
    assert_eq!(peer.requests("feishu").await, 5);
    let due_in_ms = app
        .count("SELECT max(extract(epoch FROM next_attempt_at - now()) * 1000)::int8 FROM outbox WHERE state = 'pending'")
        .await;
    assert!((0..=1100).contains(&due_in_ms), "due in {due_in_ms} ms");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(peer.requests("feishu").await, 8);
    assert_eq!(
        peer.received().await.len(),
        8,
        "none refused with 11232: each announced on its own"
    );
}

#[tokio::test]
async fn a_repeat_with_new_details_reaches_the_channels_with_them() {
    // The robot is secured by the keyword 询盘 alone: the supplement must carry it too.
    let peer = RobotPeer::start(&["--keyword", "询盘", "--webhook-secret", WEBHOOK_SECRET]).await;
    let app = app_with(channels(vec![
        json!({"name": "d", "kind": "dingtalk",
               "webhook_url": peer.url("/robot/send?access_token=dingtalk-token")}),
        json!({"name": "p", "kind": "webhook", "secret": WEBHOOK_SECRET,
               "webhook_url": peer.url("/hooks")}),
    ]))
    .await;
    let mut first = inquiry_from("13912345678");
    first["need"] = "随便看看".into();
    let id = app.submit(&first).await;
    app.worker().dispatch_pending().await.unwrap();
    let mut again = first.clone();
    again["need"] = "改为求租仓库3000平方米，层高9米".into();
    again["company"] = "珠海新公司有限公司".into();
    app.submit(&again).await;
    app.worker().dispatch_pending().await.unwrap();
    let states: Vec<String> = notifications(&app).await.into_iter().map(|r| r.1).collect();
    assert_eq!(states, ["sent", "sent", "sent", "sent"], "none refused");
    let received = peer.received().await;
    let robot = received
        .iter()
        .filter(|r| r["platform"] == "dingtalk")
        .nth(1)
        .unwrap();
    let text = robot["body"]["markdown"]["text"].as_str().unwrap();
    assert!(text.starts_with("**新询盘 · 补充信息**"), "{text}");
    assert!(text.contains("更新了：需求、公司"), "{text}");
    assert!(
        text.contains("需求：改为求租仓库3000平方米，层高9米"),
        "{text}"
    );
    assert!(text.contains("面积：约 3,000 平方米"), "{text}");
    assert!(!text.contains("随便看看"), "{text}");
    assert!(text.contains(&format!("/inbox#/inquiries/{id}")));
    let hook = received
        .iter()
        .filter(|r| r["platform"] == "webhook")
        .nth(1)
        .unwrap();
    assert_eq!(hook["body"]["type"], "inquiry.supplement");
    assert_eq!(hook["body"]["changed"], json!(["need", "company"]));
    assert_eq!(hook["body"]["inquiry"]["company"], "珠海新公司有限公司");
    assert_eq!(hook["body"]["inquiry"]["id"], id.as_str());
}

#[tokio::test]
async fn an_admin_sends_a_dead_notification_again() {
    // The partner's system answers 503 once; with one attempt allowed that is dead.
    let (_peer, list) = partner_failing_once().await;
    let app = spawn_app_with(move |s| {
        s.notify.default_channels = vec!["crm".into()];
        s.notify.channels = list;
        s.notify.max_attempts = 1;
    })
    .await;
    let id = app.submit(&valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    let other = app.submit(&inquiry_from("13800138000")).await;
    let (admin, sales) = (app.admin().await, app.sales().await);
    let detail = app
        .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
        .await;
    let notifications = detail["notifications"].as_array().unwrap();
    let dead = notifications
        .iter()
        .find(|n| n["channel"] == "crm" && n["state"] == "dead")
        .unwrap_or_else(|| panic!("{notifications:?}"));
    let mail = notifications
        .iter()
        .find(|n| n["channel"] == "email")
        .unwrap();
    assert_eq!(dead["last_error"], "HTTP 503", "{dead}");
    let retry = |key: &str, inquiry: &str, notification: &str| {
        app.staff(
            reqwest::Method::POST,
            key,
            &format!("/api/v1/inquiries/{inquiry}/notifications/{notification}/retry"),
        )
        .send()
    };
    let dead_id = dead["id"].as_str().unwrap();
    // Sales may not; another inquiry's path does not find it; a sent one is not dead.
    assert_eq!(retry(&sales, &id, dead_id).await.unwrap().status(), 403);
    let elsewhere = retry(&admin, &other, dead_id).await.unwrap();
    assert_eq!(elsewhere.status(), 404);
    assert_eq!(
        retry(&admin, &id, "not-a-uuid").await.unwrap().status(),
        404
    );
    let sent = retry(&admin, &id, mail["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(sent.status(), 409);
    let problem: Value = sent.json().await.unwrap();
    assert_eq!(problem["code"], "not_retryable");
    assert!(
        problem["detail"].as_str().unwrap().contains("已发送"),
        "{problem}"
    );
    // The admin sends it again: due now, a fresh attempt, on the timeline and in the log.
    let answer = retry(&admin, &id, dead_id).await.unwrap();
    assert_eq!(answer.status(), 202);
    let row: Value = answer.json().await.unwrap();
    assert_eq!(
        (&row["state"], &row["attempts"]),
        (&json!("pending"), &json!(0))
    );
    app.worker().dispatch_pending().await.unwrap();
    let detail = app
        .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
        .await;
    let again = detail["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == dead_id)
        .unwrap();
    assert_eq!(
        (&again["state"], &again["attempts"]),
        (&json!("sent"), &json!(1))
    );
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let retried = kinds.iter().position(|k| *k == "notification_retried");
    assert!(retried.is_some(), "{kinds:?}");
    assert_eq!(
        app.count("SELECT count(*) FROM access_log WHERE action = 'retry_notification'")
            .await,
        1
    );
    // Twice is one retry: it is no longer dead.
    assert_eq!(retry(&admin, &id, dead_id).await.unwrap().status(), 409);
    // An anonymised inquiry's dead notification is never sent again (it would carry blanks).
    let gone = app.submit(&inquiry_from("13700137000")).await;
    app.count(&format!(
        "WITH o AS (UPDATE outbox SET state = 'dead' WHERE inquiry_id = '{gone}' RETURNING 1) SELECT count(*) FROM o"
    ))
    .await;
    let dead_gone: String = sqlx::query_scalar(&format!(
        "SELECT id::text FROM outbox WHERE inquiry_id = '{gone}' AND channel = 'crm'"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let erase = app
        .staff(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/v1/inquiries/{gone}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(erase.status(), 204);
    assert_eq!(
        retry(&admin, &gone, &dead_gone).await.unwrap().status(),
        409
    );
}

#[tokio::test]
async fn metrics_count_each_channels_outcomes_and_queue() {
    // The peer takes one request per minute: the second message is throttled and waits.
    let peer = RobotPeer::start(&["--rate", "1"]).await;
    let app = app_with(channels(vec![
        json!({"name": "metrics-w", "kind": "wecom",
               "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")}),
        json!({"name": "metrics-d", "kind": "dingtalk",
               "webhook_url": peer.url("/robot/send?access_token=wrong-token")}),
    ]))
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
    let sample = |text: &str, key: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(key) && l[key.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    app.submit(&inquiry_from("13900000031")).await;
    app.submit(&inquiry_from("13900000032")).await;
    let queued = scrape().await;
    assert_eq!(
        sample(&queued, "channel_outbox_pending{channel=\"metrics-w\"}"),
        2.0,
        "{queued}"
    );
    assert_eq!(
        sample(&queued, "channel_outbox_pending{channel=\"email\"}"),
        0.0
    );
    app.worker().dispatch_pending().await.unwrap();
    let after = scrape().await;
    let count = |outcome: &str, channel: &str| {
        sample(
            &after,
            &format!("channel_notifications_total{{channel=\"{channel}\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(count("sent", "metrics-w"), 1.0, "{after}");
    assert_eq!(count("throttled", "metrics-w"), 1.0, "{after}");
    assert_eq!(count("dead", "metrics-d"), 2.0, "{after}");
    assert_eq!(
        sample(&after, "channel_outbox_pending{channel=\"metrics-w\"}"),
        1.0
    );
    assert_eq!(
        sample(&after, "channel_outbox_dead{channel=\"metrics-d\"}"),
        2.0
    );
}

#[tokio::test]
async fn a_robot_that_never_answers_holds_no_mail_back() {
    // A "robot" that takes the connection and never answers (until the request's timeout).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(2).collect();
        std::thread::sleep(Duration::from_secs(12));
        drop(held);
    });
    let list = channels(vec![json!({"name": "slow", "kind": "wecom",
        "webhook_url": format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k")})]);
    let (app, sink) = crate::helpers::spawn_with_sink(move |s| {
        s.notify.default_channels = vec!["slow".into()];
        s.notify.channels = list;
    })
    .await;
    let worker = app.worker();
    app.submit(&inquiry_from("13900000041")).await;
    worker.dispatch_batch().await.unwrap();
    app.submit(&inquiry_from("13900000042")).await;
    worker.dispatch_batch().await.unwrap();
    // Both mails are out while the robot still holds both requests.
    assert_eq!(sink.wait_for(2, Duration::from_secs(5)).await.len(), 2);
    let holding = app
        .count("SELECT count(*) FROM outbox WHERE channel = 'slow' AND state = 'pending' AND locked_until > now()")
        .await;
    assert_eq!(holding, 2, "the robot's requests are still in flight");
    // Its requests time out: transient, tried again later; nothing is lost.
    worker.channels_done().await;
    let rows = notifications(&app).await;
    let robot: Vec<_> = rows.iter().filter(|r| r.0 == "slow").collect();
    assert!(
        robot
            .iter()
            .all(|r| r.1 == "pending" && r.3.as_deref() == Some("timed out")),
        "{robot:?}"
    );
    holder.join().unwrap();
}

#[tokio::test]
async fn a_fold_takes_neither_a_parked_supplement_nor_a_row_in_backoff() {
    let peer = RobotPeer::start(&[]).await;
    let app = app_with(channels(vec![
        json!({"name": "w", "kind": "wecom", "rate_per_minute": 3,
        "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")}),
    ]))
    .await;
    // An inquiry, its first supplement (sent), its second (parked for the hour).
    let mut first = inquiry_from("13900000051");
    app.submit(&first).await;
    app.worker().dispatch_pending().await.unwrap();
    first["need"] = "改为求租仓库3000平方米".into();
    app.submit(&first).await;
    app.worker().dispatch_pending().await.unwrap();
    first["need"] = "改为求租仓库5000平方米".into();
    app.submit(&first).await;
    let parked = "SELECT count(*) FROM outbox WHERE kind = 'supplement' AND state = 'waiting' \
                  AND attempts = 0 AND next_attempt_at > now() + interval '50 minutes'";
    assert_eq!(app.count(parked).await, 1);
    assert_eq!(peer.requests("wecom").await, 2);
    // A backlog of five, one of them waiting out a backoff after a 502.
    for n in 0..5 {
        app.submit(&inquiry_from(&format!("1390000006{n}"))).await;
    }
    let backoff = "SELECT count(*) FROM outbox WHERE last_error = 'HTTP 502' AND attempts = 1 \
                   AND state = 'pending' AND next_attempt_at > now() + interval '50 minutes'";
    app.count(
        "WITH o AS (UPDATE outbox SET attempts = 1, last_error = 'HTTP 502', \
                    next_attempt_at = now() + interval '1 hour' \
          WHERE id = (SELECT id FROM outbox WHERE state = 'pending' AND kind = 'inquiry' \
                       ORDER BY created_at DESC LIMIT 1) RETURNING 1) SELECT count(*) FROM o",
    )
    .await;
    app.worker().dispatch_pending().await.unwrap();
    // Four in one message (the minute's last request); the parked and the backoff row untouched.
    assert_eq!(peer.requests("wecom").await, 3);
    let fold = peer.received().await[2]["body"]["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(fold.contains("另有 3 条新询盘"), "{fold}");
    assert_eq!(app.count(parked).await, 1, "the supplement keeps its hour");
    assert_eq!(
        app.count(backoff).await,
        1,
        "the backoff row keeps its attempts and time"
    );
}

#[tokio::test]
async fn a_refused_fold_kills_no_lead_each_is_tried_on_its_own() {
    // The robot's keyword is one our messages do not carry: it refuses every message (19024).
    let peer = RobotPeer::start(&["--keyword", "别的词"]).await;
    let app = app_with(channels(vec![
        json!({"name": "f", "kind": "feishu", "rate_per_minute": 3,
        "webhook_url": peer.url("/open-apis/bot/v2/hook/feishu-hook")}),
    ]))
    .await;
    for n in 0..5 {
        app.submit(&inquiry_from(&format!("1390000007{n}"))).await;
    }
    app.worker().dispatch_pending().await.unwrap();
    // The fold, then each alone while the minute has room: two dead, three waiting.
    assert_eq!(peer.requests("feishu").await, 3);
    let states = || async {
        let mut s: Vec<(String, i32)> = notifications(&app)
            .await
            .into_iter()
            .map(|r| (r.1, r.2))
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        states().await,
        [
            ("dead".into(), 1),
            ("dead".into(), 1),
            ("pending".into(), 0),
            ("pending".into(), 0),
            ("pending".into(), 0)
        ]
    );
    a_minute_passes(&app).await;
    // The peer's own clock: its second (5 requests) must have passed too.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(peer.requests("feishu").await, 6);
    let rows = notifications(&app).await;
    assert!(
        rows.iter()
            .all(|r| r.1 == "dead" && r.2 == 1 && r.3.as_deref().unwrap().starts_with("19024")),
        "{rows:?}"
    );
}

#[tokio::test]
async fn a_wecom_message_is_sent_when_its_markdown_is_even_if_its_mention_is_throttled() {
    let peer = RobotPeer::start(&["--rate", "1"]).await;
    let app = app_with(channels(vec![json!({"name": "w", "kind": "wecom",
        "mention_mobiles": ["13900001111"],
        "webhook_url": peer.url("/cgi-bin/webhook/send?key=wecom-key")})]))
    .await;
    app.submit(&inquiry_from("13900000081")).await;
    app.worker().dispatch_pending().await.unwrap();
    let rows = notifications(&app).await;
    assert_eq!((rows[0].1.as_str(), rows[0].2), ("sent", 1), "{rows:?}");
    assert_eq!(peer.received().await.len(), 1, "the markdown only");
    assert_eq!(
        app.count("SELECT count(*) FROM channel_pauses WHERE until > now()")
            .await,
        1,
        "the throttled mention pauses the channel"
    );
}

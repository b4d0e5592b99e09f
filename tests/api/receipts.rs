//! The public answer tells nothing about other people (issue 15 point 6), and the limits that
//! hold against a flood (point 7): receipts, the `补充信息` message, Idempotency-Keys scoped to
//! the client, the repeat payloads kept, timeline pages, failed-authentication throttling and
//! the flood guard's summary.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{spawn_app_with, spawn_with_sink, valid_inquiry};

/// Status, header names (without the per-request ones), body keys and the Location's shape.
async fn shape(response: reqwest::Response) -> (u16, BTreeSet<String>, BTreeSet<String>, String) {
    let status = response.status().as_u16();
    let headers: BTreeSet<String> = response
        .headers()
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| !matches!(k.as_str(), "date" | "x-request-id"))
        .collect();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let mut headers = headers;
    headers.insert(format!("content-length: {:?}", response.content_length()));
    let body: Value = response.json().await.unwrap();
    let keys = body.as_object().unwrap().keys().cloned().collect();
    let id = body["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/inquiries/{id}"));
    assert_eq!(body["status"], "received");
    (status, headers, keys, id)
}

#[tokio::test]
async fn new_repeat_and_spam_submissions_get_the_same_answer_and_staff_open_each_receipt() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.sales().await;
    let first = app.post_json(&valid_inquiry()).await;
    let (status_new, headers_new, keys_new, id_new) = shape(first).await;
    let mut changed = valid_inquiry();
    changed["need"] = "求租厂房3000平方米，要求有货梯".into();
    let (status_repeat, headers_repeat, keys_repeat, id_repeat) =
        shape(app.post_json(&changed).await).await;
    let mut honeypot = valid_inquiry();
    honeypot["website"] = "http://spam.example".into();
    let (status_spam, headers_spam, keys_spam, id_spam) =
        shape(app.post_json(&honeypot).await).await;
    let mut bad_token = valid_inquiry();
    bad_token["_ts"] = "forged".into();
    let (status_token, headers_token, keys_token, _) = shape(app.post_json(&bad_token).await).await;

    assert_eq!(
        [status_new, status_repeat, status_spam, status_token],
        [201; 4]
    );
    assert_eq!(headers_new, headers_repeat);
    assert_eq!(headers_new, headers_spam);
    assert_eq!(headers_new, headers_token);
    assert_eq!(keys_new, keys_repeat);
    assert_eq!(keys_new, keys_spam);
    assert_eq!(keys_new, keys_token);
    assert_eq!(
        keys_new,
        ["id", "status"].iter().map(|s| s.to_string()).collect()
    );
    assert_ne!(id_new, id_repeat, "a repeat gets a receipt of its own");

    // Staff open the inquiry by the inquiry's id or by a repeat's receipt.
    let by_id = app
        .get_json(&key, &format!("/api/v1/inquiries/{id_new}"))
        .await;
    let by_receipt = app
        .get_json(&key, &format!("/api/v1/inquiries/{id_repeat}"))
        .await;
    assert_eq!(by_receipt["id"], id_new);
    assert_eq!(by_receipt["submission_count"], 2);
    assert_eq!(by_id["id"], by_receipt["id"]);
    let repeat = by_receipt["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "repeat")
        .unwrap();
    assert_eq!(repeat["receipt"], id_repeat);
    // Every route of one inquiry takes the receipt.
    let note = app
        .staff(
            reqwest::Method::POST,
            &key,
            &format!("/api/v1/inquiries/{id_repeat}/notes"),
        )
        .json(&serde_json::json!({"body": "回电确认"}))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);
    let moved = app
        .patch_as(
            &key,
            &id_repeat,
            &serde_json::json!({"status": "contacted"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    assert_eq!(moved.json::<Value>().await.unwrap()["id"], id_new);
    let spam = app
        .get_json(&key, &format!("/api/v1/inquiries/{id_spam}"))
        .await;
    assert_eq!(spam["status"], "spam");
    let missing = app
        .get_as(
            &key,
            "/api/v1/inquiries/0190c0de-0000-7000-8000-000000000000",
        )
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn an_idempotency_key_belongs_to_the_client_that_sent_it() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let post = |client: &'static str, body: Value| {
        app.client
            .post(app.url("/api/v1/inquiries"))
            .header("X-Forwarded-For", client)
            .header("Idempotency-Key", "form-2026-11-30-0001")
            .json(&body)
            .send()
    };
    let visitor = post("203.0.113.7", valid_inquiry()).await.unwrap();
    assert_eq!(visitor.status(), 201);
    let receipt = visitor.json::<Value>().await.unwrap()["id"].clone();
    // A stranger reusing the visitor's key, with another body: a submission of its own.
    let mut other = valid_inquiry();
    other["phone"] = "13800001111".into();
    let stranger = post("198.51.100.9", other.clone()).await.unwrap();
    assert_eq!(stranger.status(), 201);
    assert_ne!(stranger.json::<Value>().await.unwrap()["id"], receipt);
    // The visitor's retry replays its own answer; its other body is still refused.
    let retry = post("203.0.113.7", valid_inquiry()).await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(retry.json::<Value>().await.unwrap()["id"], receipt);
    let reused = post("203.0.113.7", other).await.unwrap();
    assert_eq!(reused.status(), 422);
    assert_eq!(app.inquiry_count().await, 2);
}

#[tokio::test]
async fn a_repeat_with_new_details_sends_a_short_supplement_at_most_once_an_hour() {
    let (app, sink) = spawn_with_sink(|_| {}).await;
    // A stranger posts first with the visitor's number.
    let mut stranger = valid_inquiry();
    stranger["need"] = "随便看看".into();
    stranger["contact"] = "某某".into();
    let inquiry = app.submit(&stranger).await;
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    // The same text again: nothing more is sent.
    app.submit(&stranger).await;
    // Synchronous: every due message has been answered by the sink when it returns.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(
        sink.messages().len(),
        1,
        "an identical repeat sends nothing"
    );
    // The same text with a field left out is no news either.
    let mut fewer = stranger.clone();
    fewer.as_object_mut().unwrap().remove("tax");
    app.submit(&fewer).await;
    // Synchronous: every due message has been answered by the sink when it returns.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(
        sink.messages().len(),
        1,
        "a repeat that only leaves a field out sends nothing"
    );
    // The real visitor's details reach the recipients.
    let mut real = valid_inquiry();
    real["email"] = "wang.real@example.cn".into();
    app.submit(&real).await;
    app.worker().dispatch_pending().await.unwrap();
    let messages = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 2);
    let supplement = &messages[1];
    assert!(
        supplement
            .subject
            .starts_with("补充信息｜珠海某某电子有限公司｜"),
        "{}",
        supplement.subject
    );
    assert!(
        supplement.text.contains("求租高新区标准厂房2000平方米"),
        "{}",
        supplement.text
    );
    assert!(supplement.text.contains("wang.real@example.cn"));
    assert!(supplement
        .text
        .contains(&format!("/inbox#/inquiries/{inquiry}")));
    assert_eq!(supplement.reply_to.as_deref(), Some("wang.real@example.cn"));
    assert_ne!(supplement.message_id, messages[0].message_id);
    // Within the hour, more new details queue one supplement for an hour after the last, and
    // never a second one beside it.
    for need in ["求租厂房2500平方米", "求租厂房2600平方米"] {
        let mut more = real.clone();
        more["need"] = need.into();
        app.submit(&more).await;
    }
    // Synchronous: every due message has been answered by the sink when it returns.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.messages().len(), 2);
    let supplements = || async {
        sqlx::query_as::<_, (String, f64)>(
            "SELECT state, extract(epoch FROM next_attempt_at - now())::float8 FROM outbox
              WHERE kind = 'supplement' ORDER BY created_at",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
    };
    let waiting = supplements().await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert_eq!(waiting[0].0, "sent");
    assert_eq!(
        waiting[1].0, "waiting",
        "only this version's workers send supplements"
    );
    assert!(
        waiting[1].1 > 3500.0,
        "due an hour after the first: {waiting:?}"
    );
    // When it goes out, it carries the latest details.
    sqlx::query("UPDATE outbox SET next_attempt_at = now() WHERE state = 'waiting'")
        .execute(&app.pool)
        .await
        .unwrap();
    app.worker().dispatch_pending().await.unwrap();
    let messages = sink.wait_for(3, Duration::from_secs(5)).await;
    assert!(
        messages[2].text.contains("求租厂房2600平方米"),
        "{}",
        messages[2].text
    );
    assert!(
        messages[2].text.contains("第 6 次提交"),
        "{}",
        messages[2].text
    );
    // And every earlier new detail since the last supplement, not only the latest.
    assert!(
        messages[2].text.contains("第 5 次提交"),
        "{}",
        messages[2].text
    );
    assert!(
        messages[2].text.contains("求租厂房2500平方米"),
        "{}",
        messages[2].text
    );
    // The next one waits an hour from when that one went out, not from when it was queued.
    let mut again = real.clone();
    again["need"] = "求租厂房2700平方米".into();
    app.submit(&again).await;
    let waiting = supplements().await;
    assert_eq!(waiting.len(), 3);
    assert!(
        waiting[2].1 > 3500.0,
        "an hour after the last one sent: {waiting:?}"
    );
}

#[tokio::test]
async fn new_details_while_a_supplement_is_being_sent_queue_one_more_and_never_fail() {
    let (app, _sink) = spawn_with_sink(|s| {
        s.notify.default_recipients = vec![
            "sales@example.cn".parse().unwrap(),
            "boss@example.cn".parse().unwrap(),
        ]
    })
    .await;
    app.submit(&valid_inquiry()).await;
    let changed = |need: &str| {
        let mut body = valid_inquiry();
        body["need"] = need.into();
        body
    };
    app.submit(&changed("求租厂房2100平方米")).await;
    // A worker is sending sales@'s supplement right now (leased).
    sqlx::query(
        "UPDATE outbox SET locked_until = now() + interval '5 minutes'
          WHERE kind = 'supplement' AND recipient = 'sales@example.cn'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    for need in [
        "求租厂房2200平方米",
        "求租厂房2300平方米",
        "求租厂房2400平方米",
    ] {
        let response = app.post_json(&changed(need)).await;
        assert_eq!(response.status(), 201, "{need}");
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT recipient, count(*) FROM outbox WHERE kind = 'supplement'
          GROUP BY recipient ORDER BY recipient",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            ("boss@example.cn".to_string(), 1),
            ("sales@example.cn".to_string(), 2)
        ],
        "one more for the recipient being sent to, the other's moved on"
    );
    let latest: i64 = app
        .count("SELECT max(id) FROM inquiry_events WHERE kind = 'repeat'")
        .await;
    let moved: i64 = app
        .count(&format!(
            "SELECT count(*) FROM outbox WHERE kind = 'supplement' AND seq = {latest}"
        ))
        .await;
    assert_eq!(
        moved, 2,
        "each recipient's waiting supplement carries the latest"
    );
    // The send in flight completes (the test app checks at its end that none is left claimed).
    sqlx::query(
        "UPDATE outbox SET state = 'sent', sent_at = now(), locked_until = NULL
          WHERE locked_until > now()",
    )
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn twenty_repeats_sent_first_by_a_stranger_cannot_hide_the_visitors_details() {
    let (app, sink) = spawn_with_sink(|_| {}).await;
    let mut stranger = valid_inquiry();
    stranger["need"] = "随便看看".into();
    stranger["contact"] = "某某".into();
    for _ in 0..25 {
        app.submit(&stranger).await;
    }
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    // The real visitor, 26th on this phone and article: details kept, and mailed.
    let receipt = app.submit(&valid_inquiry()).await;
    app.worker().dispatch_pending().await.unwrap();
    let messages = sink.wait_for(2, Duration::from_secs(5)).await;
    assert_eq!(messages.len(), 2);
    assert!(
        messages[1].subject.starts_with("补充信息｜"),
        "{}",
        messages[1].subject
    );
    assert!(
        messages[1].text.contains("求租高新区标准厂房2000平方米"),
        "{}",
        messages[1].text
    );
    let kept: Value =
        sqlx::query_scalar("SELECT data FROM inquiry_events WHERE receipt_id::text = $1")
            .bind(&receipt)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(kept["payload_kept"], true, "{kept}");
    assert_eq!(kept["need"], valid_inquiry()["need"]);
    // Another late repeat with new text takes the rolling slot: one late payload at a time.
    let mut later = valid_inquiry();
    later["need"] = "求租厂房，面积可以小一些".into();
    app.submit(&later).await;
    let late_payloads: i64 = app
        .count("SELECT count(*) FROM inquiry_events WHERE kind = 'repeat' AND (data ->> 'number')::int > 20 AND data ? 'need'")
        .await;
    assert_eq!(late_payloads, 1);
}

#[tokio::test]
async fn a_caught_submission_is_refused_exactly_as_an_uncaught_one() {
    let app = spawn_app_with(|_| {}).await;
    let mut invalid = valid_inquiry();
    invalid["phone"] = "12345".into();
    let plain = app.post_json(&invalid).await;
    let mut caught = invalid.clone();
    caught["website"] = "http://spam.example".into();
    let honeypot = app.post_json(&caught).await;
    assert_eq!(plain.status(), 422);
    assert_eq!(
        honeypot.status(),
        422,
        "a bot learns nothing from invalid posts"
    );
    assert_eq!(
        plain.json::<Value>().await.unwrap(),
        honeypot.json::<Value>().await.unwrap()
    );
    assert_eq!(app.inquiry_count().await, 0);
}

#[tokio::test]
async fn the_timeline_keeps_twenty_repeat_payloads_and_pages_past_a_hundred_events() {
    let app = spawn_app_with(|_| {}).await;
    let key = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    for i in 0..120 {
        let mut body = valid_inquiry();
        body["message"] = format!("第{i}次补充：{}", "详细说明".repeat(100)).into();
        app.submit(&body).await;
    }
    let kept: Vec<bool> = sqlx::query_scalar(
        "SELECT data ? 'message' FROM inquiry_events WHERE kind = 'repeat' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(kept.len(), 120, "every repeat is on the timeline");
    assert!(
        kept[..20].iter().all(|k| *k),
        "the first 20 keep their payload"
    );
    assert!(
        kept[20..119].iter().all(|k| !*k),
        "later ones are counted only"
    );
    assert!(kept[119], "but the latest with new text keeps its payload");

    let response = app.get_as(&key, &format!("/api/v1/inquiries/{id}")).await;
    let size = response.content_length().unwrap_or(0);
    let detail: Value = response.json().await.unwrap();
    assert_eq!(detail["submission_count"], 121);
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 100);
    let cursor = detail["timeline_next_cursor"].as_str().unwrap().to_string();
    let next = app
        .get_json(
            &key,
            &format!("/api/v1/inquiries/{id}?timeline_cursor={cursor}"),
        )
        .await;
    let total: i64 = app.count("SELECT count(*) FROM inquiry_events").await;
    assert_eq!(
        100 + next["timeline"].as_array().unwrap().len() as i64,
        total
    );
    assert_eq!(next["timeline_next_cursor"], Value::Null);
    assert!(size < 120_000, "the first page is bounded: {size} bytes");
    let bad = app
        .get_as(&key, &format!("/api/v1/inquiries/{id}?timeline_cursor=abc"))
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn failed_authentications_are_throttled_per_client() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let good = app.sales().await;
    let attempt = |client: &'static str, key: String| {
        app.client
            .get(app.url("/api/v1/inquiries"))
            .header("X-Forwarded-For", client)
            .bearer_auth(key)
            .send()
    };
    for i in 0..20 {
        let response = attempt("203.0.113.7", format!("idk_guess{i}"))
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "attempt {i}");
    }
    let throttled = attempt("203.0.113.7", "idk_guess20".into()).await.unwrap();
    assert_eq!(throttled.status(), 429);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let problem: Value = throttled.json().await.unwrap();
    assert_eq!(problem["code"], "too_many_failed_authentications");
    // Refused before the key is looked at: a right guess now gets nothing either.
    assert_eq!(
        attempt("203.0.113.7", good.clone()).await.unwrap().status(),
        429
    );
    // Other clients are not affected.
    assert_eq!(
        attempt("198.51.100.9", good.clone())
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        attempt("198.51.100.9", "idk_wrong".into())
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn past_max_per_hour_the_rest_of_the_hour_goes_out_in_one_summary() {
    let (app, sink) = spawn_with_sink(|s| s.notify.max_per_hour = 3).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut body = valid_inquiry();
        body["phone"] = format!("1390000{:04}", i).into();
        body["company"] = format!("公司{i}").into();
        ids.push(app.submit(&body).await);
    }
    // Synchronous: every due message has been answered by the sink when it returns.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.messages().len(), 3, "three messages in the hour");
    // Held until the clock hour ends (due on the hour, within the next hour).
    let held: Vec<(bool, String, bool)> = sqlx::query_as(
        "SELECT flood_held, state,
                next_attempt_at = date_trunc('hour', next_attempt_at)
                AND next_attempt_at > now() AND next_attempt_at <= now() + interval '1 hour'
           FROM outbox WHERE state <> 'sent'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(held.len(), 4);
    assert!(
        held.iter()
            .all(|(h, state, on_the_hour)| *h && state == "waiting" && *on_the_hour),
        "{held:?}"
    );
    // A repeat with new details in the same hour does not go around the guard.
    let mut changed = valid_inquiry();
    changed["phone"] = "13900000000".into();
    changed["company"] = "公司0".into();
    changed["need"] = "改为求租仓库3000平方米".into();
    app.submit(&changed).await;
    // Another worker run in the same hour sends nothing more.
    app.worker().dispatch_pending().await.unwrap();
    assert_eq!(sink.messages().len(), 3);
    // The hour ends (moved back an hour: the slots taken and the held rows' due time).
    sqlx::query(
        "UPDATE outbox SET slot_at = slot_at - interval '1 hour',
                next_attempt_at = next_attempt_at - interval '1 hour'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    app.worker().dispatch_pending().await.unwrap();
    let messages = sink.wait_for(4, Duration::from_secs(5)).await;
    assert_eq!(
        messages.len(),
        4,
        "one summary for the four held and the supplement"
    );
    let summary = &messages[3];
    assert!(
        summary.subject.contains("另有 4 条新询盘、1 条补充信息"),
        "{}",
        summary.subject
    );
    assert!(
        summary
            .text
            .contains("【补充信息】公司0｜改为求租仓库3000平方米"),
        "{}",
        summary.text
    );
    let held_ids: Vec<String> = sqlx::query_scalar(
        "SELECT inquiry_id::text FROM outbox WHERE flood_held ORDER BY inquiry_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for id in &held_ids {
        assert!(
            summary.text.contains(&format!("/inbox#/inquiries/{id}")),
            "{id}"
        );
    }
    let states: Vec<String> = sqlx::query_scalar("SELECT DISTINCT state FROM outbox")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(states, ["sent"], "every inquiry announced");
    let events: i64 = app
        .count("SELECT count(*) FROM inquiry_events WHERE kind = 'notification_sent' AND (data ->> 'summary')::boolean")
        .await;
    assert_eq!(events, 5);
    // In the new hour, the next inquiry is announced on its own again.
    let mut body = valid_inquiry();
    body["phone"] = "13900009999".into();
    app.submit(&body).await;
    app.worker().dispatch_pending().await.unwrap();
    let messages = sink.wait_for(5, Duration::from_secs(5)).await;
    assert!(
        messages[4].subject.starts_with("新询盘｜"),
        "{}",
        messages[4].subject
    );
    assert!(held_ids.iter().all(|id| ids.contains(id)));
}

#[tokio::test]
async fn anonymising_blanks_contact_details_typed_into_free_text() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin().await;
    let mut body = valid_inquiry();
    body["need"] = "求租厂房2000平方米，电话139 1234 5678，邮箱wang@qq.com".into();
    body["use"] = "仓储，联系 zhao.li＠example.cn".into();
    body["tax"] = "年纳税300万，座机0756-3331234".into();
    let id = app.submit(&body).await;
    let mut repeat = body.clone();
    repeat["need"] = "再补充：手机13912345678，面积2000-3000平".into();
    app.submit(&repeat).await;
    let deleted = app
        .staff(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/v1/inquiries/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let d = app
        .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
        .await;
    assert_eq!(d["need"], "求租厂房2000平方米，电话[已删除]，邮箱[已删除]");
    assert_eq!(d["use"], "仓储，联系 [已删除]");
    assert_eq!(d["tax"], "年纳税300万，座机[已删除]");
    assert_eq!(d["tax_cny_per_year"], 3_000_000, "derived figures stay");
    let everything = d.to_string();
    for secret in ["1234 5678", "13912345678", "wang@qq", "zhao.li", "3331234"] {
        assert!(
            !everything.contains(secret),
            "{secret} survived: {everything}"
        );
    }
    assert!(
        everything.contains("面积2000-3000平"),
        "figures that are no phone stay"
    );
    let raw: String = sqlx::query_scalar(
        "SELECT string_agg(data::text, ' ') FROM inquiry_events WHERE inquiry_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        !raw.contains("13912345678") && !raw.contains("text_digest"),
        "{raw}"
    );
}

#[tokio::test]
async fn lists_searches_and_exports_are_in_the_access_log_with_their_filters_and_rows() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin().await;
    for phone in ["13912345678", "13812345678", "13712345678"] {
        let mut body = valid_inquiry();
        body["phone"] = phone.into();
        app.submit(&body).await;
    }
    app.get_json(&admin, "/api/v1/inquiries?status=new&limit=2")
        .await;
    app.get_json(&admin, "/api/v1/inquiries?phone=139%201234%205678")
        .await;
    let csv = app
        .get_as(&admin, "/api/v1/inquiries/export.csv?q=%E5%8E%82%E6%88%BF")
        .await;
    assert_eq!(csv.status(), 200);
    let _ = csv.bytes().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = app.get_json(&admin, "/api/v1/access-log").await;
    let entries: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["action"].as_str(), Some("list" | "search" | "export")))
        .collect();
    assert_eq!(entries.len(), 3, "{log}");
    let find = |action: &str| *entries.iter().find(|e| e["action"] == action).unwrap();
    assert_eq!(find("list")["details"]["filters"]["status"], "new");
    assert_eq!(find("list")["details"]["rows"], 2);
    assert_eq!(find("search")["details"]["filters"]["phone"], "139****5678");
    assert_eq!(find("search")["details"]["rows"], 1);
    assert_eq!(find("export")["details"]["filters"]["q"], "厂房");
    assert_eq!(find("export")["details"]["rows"], 3);
    assert!(!log.to_string().contains("1234"), "{log}");
}

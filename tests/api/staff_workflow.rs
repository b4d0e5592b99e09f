//! Detail, status moves, assignment, If-Match, notes, anonymisation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, valid_inquiry, with};

const STATUSES: [&str; 6] = ["new", "contacted", "qualified", "won", "lost", "spam"];
const ALLOWED: [(&str, &str); 12] = [
    ("new", "contacted"),
    ("new", "qualified"),
    ("new", "lost"),
    ("new", "spam"),
    ("contacted", "qualified"),
    ("contacted", "won"),
    ("contacted", "lost"),
    ("contacted", "spam"),
    ("qualified", "won"),
    ("qualified", "lost"),
    ("lost", "contacted"),
    ("spam", "new"),
];

#[tokio::test]
async fn the_detail_has_the_shape_of_the_spec() {
    let app = spawn_app().await;
    let earlier = app
        .submit(&with(
            valid_inquiry(),
            &[("article_url", json!("https://www.example.cn/old.html"))],
        ))
        .await;
    let body = with(
        valid_inquiry(),
        &[
            ("email", json!("wang@example.org")),
            ("utm_campaign", json!("autumn")),
        ],
    );
    let id = app.submit(&body).await;
    app.submit(&body).await; // a repeat
    let sales = app.sales().await;
    let response = app.get_as(&sales, &format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "W/\"2\"");
    let d: Value = response.json().await.unwrap();
    assert_eq!(d["id"], id);
    assert_eq!(d["status"], "new");
    assert_eq!(d["phone"], "+8613912345678");
    assert_eq!(d["email"], "wang@example.org");
    assert_eq!(d["tax_cny_per_year"], 3_000_000);
    assert_eq!(d["area_sqm"], 2000.0);
    assert_eq!(
        d["article"]["url"],
        "https://www.example.cn/zhuhai/factory-1.html"
    );
    assert_eq!(d["article"]["title"], "高新区标准厂房出租");
    assert_eq!(d["attribution"]["utm_source"], "baidu");
    assert_eq!(d["attribution"]["utm_campaign"], "autumn");
    assert_eq!(d["submission_count"], 2);
    assert_eq!(d["assignee"], Value::Null);
    assert!(d["received_at"].is_string() && d["updated_at"].is_string());
    let notification_id = d["notifications"][0]["id"].clone();
    assert!(notification_id.is_string());
    assert_eq!(
        d["notifications"],
        json!([{"id": notification_id, "channel": "email", "kind": "inquiry",
                "recipient": "sales@example.cn", "state": "pending", "attempts": 0,
                "last_error": null, "held_for_summary": false}])
    );
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["received", "repeat"]);
    assert_eq!(d["timeline"][1]["data"]["phone"], "+8613912345678");
    // The digest repeats are compared by is the service's own: never shown.
    for event in d["timeline"].as_array().unwrap() {
        assert!(event["data"].get("text_digest").is_none(), "{event}");
    }
    assert_eq!(d["related"].as_array().unwrap().len(), 1);
    assert_eq!(d["related"][0]["id"], earlier);
    assert_eq!(
        d["related"][0]["article"]["url"],
        "https://www.example.cn/old.html"
    );
    assert_eq!(
        d["allowed_transitions"],
        json!(["contacted", "qualified", "lost", "spam"])
    );

    let missing = app
        .get_as(
            &sales,
            &format!("/api/v1/inquiries/{}", uuid::Uuid::now_v7()),
        )
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        app.get_as(&sales, "/api/v1/inquiries/not-a-uuid")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn every_status_move_is_allowed_or_refused_as_the_spec_says() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    for from in STATUSES {
        for to in STATUSES {
            sqlx::query("UPDATE inquiries SET status = $1 WHERE id = $2::uuid")
                .bind(from)
                .bind(&id)
                .execute(&app.pool)
                .await
                .unwrap();
            let response = app.patch_as(&sales, &id, &json!({"status": to})).await;
            let expected = if from == to || ALLOWED.contains(&(from, to)) {
                200
            } else {
                409
            };
            assert_eq!(response.status(), expected, "{from} → {to}");
            let body: Value = response.json().await.unwrap();
            if expected == 409 {
                assert_eq!(body["code"], "invalid_transition");
            } else {
                assert_eq!(body["status"], to);
            }
        }
    }
}

#[tokio::test]
async fn changes_are_timeline_events_with_the_key_name_and_bump_the_etag() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    let before = app
        .get_as(&sales, &format!("/api/v1/inquiries/{id}"))
        .await
        .headers()["etag"]
        .clone();

    let same = app.patch_as(&sales, &id, &json!({"status": "new"})).await;
    assert_eq!(same.status(), 200);
    assert_eq!(
        same.headers()["etag"],
        before,
        "setting the current status is a no-op"
    );

    let response = app
        .patch_as(
            &sales,
            &id,
            &json!({"status": "contacted", "assignee": " 张三 "}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_ne!(response.headers()["etag"], before);
    let d: Value = response.json().await.unwrap();
    assert_eq!(d["status"], "contacted");
    assert_eq!(d["assignee"], "张三");
    assert_eq!(
        d["allowed_transitions"],
        json!(["qualified", "won", "lost", "spam"])
    );
    let events = d["timeline"].as_array().unwrap();
    let status_event = events
        .iter()
        .find(|e| e["kind"] == "status_changed")
        .unwrap();
    assert_eq!(
        status_event["data"],
        json!({"from": "new", "to": "contacted"})
    );
    assert!(status_event["actor"]
        .as_str()
        .unwrap()
        .starts_with("sales-"));
    let assigned = events.iter().find(|e| e["kind"] == "assigned").unwrap();
    assert_eq!(assigned["data"], json!({"from": null, "to": "张三"}));

    let unassigned: Value = app
        .patch_as(&sales, &id, &json!({"assignee": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unassigned["assignee"], Value::Null);
    assert_eq!(
        unassigned["status"], "contacted",
        "absent status is unchanged"
    );
}

#[tokio::test]
async fn patch_refuses_other_fields_and_bad_values() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    let cases = [
        (json!({"phone": "13800000000"}), "phone", "unknown_field"),
        (json!({"status": "closed"}), "status", "invalid_value"),
        (json!({"status": 3}), "status", "invalid_value"),
        (json!({"assignee": "a".repeat(51)}), "assignee", "too_long"),
        (json!({"assignee": "a\nb"}), "assignee", "line_break"),
        (json!({"assignee": 5}), "assignee", "invalid_type"),
    ];
    for (body, field, code) in cases {
        let response = app.patch_as(&sales, &id, &body).await;
        assert_eq!(response.status(), 422, "{body}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    let not_json = app
        .staff(Method::PATCH, &sales, &format!("/api/v1/inquiries/{id}"))
        .header("content-type", "text/plain")
        .body("status=won")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 415);
    // It asks for what the staff API reads, not for the public form's encodings too.
    let problem: serde_json::Value = not_json.json().await.unwrap();
    assert_eq!(problem["detail"], "请以 application/json 格式提交。");
    let broken = app
        .staff(Method::PATCH, &sales, &format!("/api/v1/inquiries/{id}"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    let detail = app
        .get_json(&sales, &format!("/api/v1/inquiries/{id}"))
        .await;
    assert_eq!(detail["status"], "new", "nothing changed");
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_a_current_one_is_honoured() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    let etag = app
        .get_as(&sales, &format!("/api/v1/inquiries/{id}"))
        .await
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/inquiries/{id}");
    let ok = app
        .staff(Method::PATCH, &sales, &path)
        .header("if-match", &etag)
        .json(&json!({"status": "contacted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let stale = app
        .staff(Method::PATCH, &sales, &path)
        .header("if-match", &etag)
        .json(&json!({"status": "qualified"}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 412);
    assert_eq!(
        stale.json::<Value>().await.unwrap()["code"],
        "precondition_failed"
    );
    assert_eq!(app.get_json(&sales, &path).await["status"], "contacted");
}

#[tokio::test]
async fn moving_spam_to_new_sends_the_notification_it_never_had() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app
        .submit(&with(valid_inquiry(), &[("website", json!("x"))]))
        .await;
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
    let response = app.patch_as(&sales, &id, &json!({"status": "new"})).await;
    assert_eq!(response.status(), 200);
    let d: Value = response.json().await.unwrap();
    assert_eq!(d["notifications"][0]["recipient"], "sales@example.cn");
    assert_eq!(d["notifications"][0]["state"], "pending");
}

#[tokio::test]
async fn notes_are_added_to_the_timeline() {
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&valid_inquiry()).await;
    let path = format!("/api/v1/inquiries/{id}/notes");
    let response = app
        .staff(Method::POST, &sales, &path)
        .json(&json!({"body": "已电话联系，\r\n下周看厂"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let note: Value = response.json().await.unwrap();
    assert_eq!(note["body"], "已电话联系，\n下周看厂");
    assert!(note["actor"].as_str().unwrap().starts_with("sales-"));
    for (body, code) in [
        (json!({"body": "  "}), "required"),
        (json!({}), "required"),
        (json!({"body": "x".repeat(2001)}), "too_long"),
        (json!({"body": "x", "kind": "y"}), "unknown_field"),
    ] {
        let response = app
            .staff(Method::POST, &sales, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["errors"][0]["code"],
            code
        );
    }
    let d = app
        .get_json(&sales, &format!("/api/v1/inquiries/{id}"))
        .await;
    let notes: Vec<&Value> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .collect();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["data"]["body"], "已电话联系，\n下周看厂");
    let missing = app
        .staff(
            Method::POST,
            &sales,
            &format!("/api/v1/inquiries/{}/notes", uuid::Uuid::now_v7()),
        )
        .json(&json!({"body": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn anonymising_erases_personal_data_everywhere_and_keeps_the_rest() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let body = with(
        valid_inquiry(),
        &[
            ("email", json!("wang@example.org")),
            ("wechat", json!("wang_zong88")),
            ("message", json!("请回电")),
            (
                "article_url",
                json!(
                    "https://www.example.cn/zhuhai/factory-1.html?bd_vid=5550001&utm_source=baidu"
                ),
            ),
        ],
    );
    let id = app.submit(&body).await;
    app.submit(&body).await; // repeat payload on the timeline
    app.staff(
        Method::POST,
        &admin,
        &format!("/api/v1/inquiries/{id}/notes"),
    )
    .json(&json!({"body": "王总手机13912345678"}))
    .send()
    .await
    .unwrap();
    let response = app
        .staff(Method::DELETE, &admin, &format!("/api/v1/inquiries/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let d = app
        .get_json(&admin, &format!("/api/v1/inquiries/{id}"))
        .await;
    for field in ["contact", "phone", "email", "wechat", "company", "message"] {
        assert_eq!(d[field], Value::Null, "{field} erased");
    }
    // A click ID identifies the person at the ad platform; URLs can carry anything.
    assert_eq!(d["attribution"]["click_ids"], json!({}));
    assert_eq!(d["attribution"]["landing_url"], Value::Null);
    assert_eq!(
        d["attribution"]["utm_source"], "baidu",
        "campaign kept for statistics"
    );
    assert_eq!(
        d["need"], "求租高新区标准厂房2000平方米，层高8米以上",
        "kept for statistics"
    );
    assert_eq!(d["tax_cny_per_year"], 3_000_000);
    assert_eq!(
        d["article"]["url"],
        "https://www.example.cn/zhuhai/factory-1.html"
    );
    assert_eq!(d["anonymised"], true);
    assert_eq!(d["notifications"][0]["state"], "cancelled");
    let text = d["timeline"].to_string();
    for secret in [
        "13912345678",
        "wang@example.org",
        "wang_zong88",
        "王总",
        "珠海某某",
        "请回电",
        "5550001",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} left on the timeline: {text}"
        );
    }
    assert!(d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "anonymised"));
    let (ip, ua): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT host(client_ip), user_agent FROM inquiries WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((ip, ua), (None, None));

    let sales = app.sales().await;
    let forbidden = app
        .staff(Method::DELETE, &sales, &format!("/api/v1/inquiries/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    // The same phone may inquire again: a new lead, not a duplicate of the erased one.
    let response = app.post_json(&body).await;
    assert_eq!(response.status(), 201);
}

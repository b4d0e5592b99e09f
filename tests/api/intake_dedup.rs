//! Honeypot, duplicates (also simultaneous ones) and Idempotency-Key.

use std::time::Duration;

use futures_util::future::join_all;
use inquiry_desk::storage::idempotency;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, valid_inquiry, with};

#[tokio::test]
async fn a_filled_honeypot_looks_like_success_and_is_stored_as_spam() {
    let app = spawn_app().await;
    let body = with(
        valid_inquiry(),
        &[("website", json!("http://spam.example"))],
    );
    let response = app.post_json(&body).await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("location"));
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["status"], "received");
    assert_eq!(
        answer.as_object().unwrap().len(),
        2,
        "nothing tells it was caught"
    );
    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, spam_reason FROM inquiries WHERE id = $1::uuid")
            .bind(answer["id"].as_str().unwrap())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("spam", Some("honeypot"))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        0,
        "no email for spam"
    );

    // A bot's garbage is refused exactly as a person's would be (a 201 would tell it that the
    // honeypot caught it), and nothing is stored.
    let garbage = json!({"need": "x".repeat(900), "phone": "buy now", "website": "x"});
    let mut unfilled = garbage.clone();
    unfilled.as_object_mut().unwrap().remove("website");
    let caught = app.post_json(&garbage).await;
    let plain = app.post_json(&unfilled).await;
    assert_eq!(caught.status(), 422);
    assert_eq!(
        caught.json::<Value>().await.unwrap(),
        plain.json::<Value>().await.unwrap()
    );
    assert_eq!(
        app.count("SELECT count(*) FROM inquiries WHERE status = 'spam'")
            .await,
        1
    );

    // Spam does not count for duplicate detection: the real lead afterwards is new.
    let real = app.post_json(&valid_inquiry()).await;
    assert_eq!(real.status(), 201);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn the_honeypot_field_name_is_configurable() {
    let app = spawn_app_with(|s| s.intake.honeypot_field = "fax".into()).await;
    let response = app
        .post_json(&with(valid_inquiry(), &[("fax", json!("1"))]))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        app.count("SELECT count(*) FROM inquiries WHERE status = 'spam'")
            .await,
        1
    );
    // `website` is an ordinary unknown field now.
    let response = app
        .post_json(&with(valid_inquiry(), &[("website", json!("x"))]))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        app.count("SELECT count(*) FROM inquiries WHERE status = 'new'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_repeat_on_the_same_article_is_a_duplicate_with_its_payload_on_the_timeline() {
    let app = spawn_app().await;
    let first: Value = app.post_json(&valid_inquiry()).await.json().await.unwrap();
    // Another spelling of the same phone, another tracking parameter, a changed need.
    let repeat = with(
        valid_inquiry(),
        &[
            ("phone", json!("+86 13912345678")),
            ("need", json!("还需要办公室200平")),
            (
                "article_url",
                json!("https://www.example.cn/zhuhai/factory-1.html?from=timeline"),
            ),
        ],
    );
    let response = app.post_json(&repeat).await;
    assert_eq!(
        response.status(),
        201,
        "a repeat is answered like a new inquiry"
    );
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["id"], first["id"], "with a receipt of its own");
    assert_eq!(second["status"], "received");
    let receipt: Option<String> =
        sqlx::query_scalar("SELECT receipt_id::text FROM inquiry_events WHERE kind = 'repeat'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(receipt.as_deref(), second["id"].as_str());

    let id = first["id"].as_str().unwrap();
    let (count, version): (i32, i32) =
        sqlx::query_as("SELECT submission_count, version FROM inquiries WHERE id = $1::uuid")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((count, version), (2, 2));
    let events: Vec<(String, Value)> = sqlx::query_as(
        "SELECT kind, data FROM inquiry_events WHERE inquiry_id = $1::uuid ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].0, "repeat");
    assert_eq!(events[1].1["need"], "还需要办公室200平");
    assert_eq!(events[1].1["phone"], "+8613912345678");
    assert_eq!(app.inquiry_count().await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE kind = 'inquiry'")
            .await,
        1,
        "no second new-inquiry email (the changed need is a supplement)"
    );
}

#[tokio::test]
async fn the_same_phone_elsewhere_or_after_the_window_is_a_new_inquiry() {
    let app = spawn_app().await;
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
    let other_article = with(
        valid_inquiry(),
        &[("article_url", json!("https://www.example.cn/b.html"))],
    );
    assert_eq!(app.post_json(&other_article).await.status(), 201);
    let mut no_article = valid_inquiry();
    no_article.as_object_mut().unwrap().remove("article_url");
    assert_eq!(app.post_json(&no_article).await.status(), 201);
    assert_eq!(app.post_json(&no_article).await.status(), 201);
    assert_eq!(
        app.inquiry_count().await,
        3,
        "both without article: a repeat"
    );

    // Older than the window: new again.
    sqlx::query("UPDATE inquiries SET received_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
    // Anonymised or spam inquiries do not count either.
    sqlx::query("UPDATE inquiries SET received_at = now(), anonymised_at = now()")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
    assert_eq!(app.inquiry_count().await, 5);
}

#[tokio::test]
async fn the_dedup_window_is_configurable() {
    let app = spawn_app_with(|s| s.intake.dedup_window = Duration::from_secs(1)).await;
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.post_json(&valid_inquiry()).await.status(), 201);
}

#[tokio::test]
async fn simultaneous_identical_posts_make_one_inquiry() {
    let app = spawn_app_with(|s| s.database.max_connections = 12).await;
    let body = valid_inquiry();
    let posts = (0..12).map(|_| app.post_json(&body));
    let responses = join_all(posts).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(statuses, [201; 12]);
    let mut ids = Vec::new();
    for response in responses {
        ids.push(
            response.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "every submission has its own receipt");
    assert_eq!(app.inquiry_count().await, 1);
    assert_eq!(
        app.count("SELECT submission_count::bigint FROM inquiries")
            .await,
        12
    );
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM inquiry_events WHERE kind = 'repeat'")
            .await,
        11
    );
}

#[tokio::test]
async fn simultaneous_posts_from_different_phones_share_one_new_article() {
    // Different phones take different duplicate locks, so the first post of a new article
    // races the others to create it: every inquiry must still be filed under the one article.
    let app = &spawn_app_with(|s| s.database.max_connections = 12).await;
    let posts = (0..12).map(|i| {
        let body = with(
            valid_inquiry(),
            &[
                ("phone", json!(format!("1391234{i:04}"))),
                (
                    "article_url",
                    json!("https://www.example.cn/zhuhai/brand-new.html"),
                ),
                ("article_title", json!(format!("标题{i}"))),
            ],
        );
        async move { app.post_json(&body).await.status().as_u16() }
    });
    let statuses = join_all(posts).await;
    assert_eq!(statuses, vec![201; 12]);
    assert_eq!(app.inquiry_count().await, 12);
    assert_eq!(app.count("SELECT count(*) FROM articles").await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM inquiries i JOIN articles a ON a.id = i.article_id \
              WHERE a.url = 'https://www.example.cn/zhuhai/brand-new.html'"
        )
        .await,
        12
    );
    // The article keeps one of the titles given (the first to commit; SPEC §2: a later
    // visitor cannot rename an article).
    assert_eq!(
        app.count("SELECT count(*) FROM articles WHERE title LIKE '标题%'")
            .await,
        1
    );
}

async fn post_with_key(
    app: &crate::helpers::TestApp,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/inquiries"))
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let first = post_with_key(&app, "key-1", &valid_inquiry()).await;
    assert_eq!(first.status(), 201);
    let first_location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();

    let replay = post_with_key(&app, "key-1", &valid_inquiry()).await;
    assert_eq!(replay.status(), 201, "the first answer");
    assert_eq!(replay.headers()["location"], first_location);
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(
        app.count("SELECT submission_count::bigint FROM inquiries")
            .await,
        1,
        "not a repeat"
    );

    let other = with(valid_inquiry(), &[("need", json!("另一个需求"))]);
    let reused = post_with_key(&app, "key-1", &other).await;
    assert_eq!(reused.status(), 422);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    assert_eq!(app.inquiry_count().await, 1);

    // After 24 hours the key is forgotten.
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
        .execute(&app.pool)
        .await
        .unwrap();
    let later = post_with_key(&app, "key-1", &other).await;
    assert_eq!(later.status(), 201);
    assert_ne!(
        later.json::<Value>().await.unwrap(),
        first,
        "a new submission now"
    );
}

#[tokio::test]
async fn a_key_whose_first_request_is_still_running_is_409() {
    let app = spawn_app().await;
    let body = valid_inquiry();
    // The claim a running request holds: same key, same body hash, no answer yet.
    let raw = serde_json::to_vec(&body).unwrap();
    let hash = {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(b"application/json\n");
        hasher.update(&raw);
        hasher.finalize().to_vec()
    };
    let claim = idempotency::claim(&app.pool, "127.0.0.1", "running", &hash)
        .await
        .unwrap();
    assert_eq!(claim, idempotency::Claim::Claimed);

    let response = app
        .post_raw(
            "application/json",
            raw.clone(),
            &[("idempotency-key", "running")],
        )
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "idempotency_key_in_use"
    );
    assert_eq!(app.inquiry_count().await, 0);

    // A claim abandoned by a crashed request is taken over after a minute.
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '2 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let response = app
        .post_raw("application/json", raw, &[("idempotency-key", "running")])
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn errors_are_not_stored_under_an_idempotency_key() {
    let app = spawn_app().await;
    let bad = with(valid_inquiry(), &[("phone", json!("123"))]);
    assert_eq!(post_with_key(&app, "k", &bad).await.status(), 422);
    assert_eq!(app.count("SELECT count(*) FROM idempotency_keys").await, 0);
    assert_eq!(
        post_with_key(&app, "k", &valid_inquiry()).await.status(),
        201
    );
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_refused() {
    let app = spawn_app().await;
    let long = "k".repeat(256);
    let response = post_with_key(&app, &long, &valid_inquiry()).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "invalid_idempotency_key"
    );
    assert_eq!(
        post_with_key(&app, &"k".repeat(255), &valid_inquiry())
            .await
            .status(),
        201
    );
}

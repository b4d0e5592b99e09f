//! The test app's own contract: when a test ends, its outbox must be drained and its database
//! goes away.

use std::panic::{catch_unwind, AssertUnwindSafe};

use sqlx::PgPool;

use crate::helpers::{admin_url, spawn_app, valid_inquiry};

async fn database_exists(url: &str) -> bool {
    let name = url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let admin = PgPool::connect(&admin_url()).await.unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&admin)
            .await
            .unwrap();
    admin.close().await;
    exists
}

#[tokio::test]
async fn a_test_app_ends_by_dropping_its_database() {
    let app = spawn_app().await;
    app.submit(&valid_inquiry()).await;
    let url = app.database_url.clone();
    assert!(database_exists(&url).await);
    drop(app);
    assert!(!database_exists(&url).await, "the test database is dropped");
}

#[tokio::test]
async fn a_test_that_ends_with_a_send_cut_off_fails() {
    let app = spawn_app().await;
    app.submit(&valid_inquiry()).await;
    // A worker claimed the message and the test ended before the send finished.
    sqlx::query("UPDATE outbox SET locked_until = now() + interval '5 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let url = app.database_url.clone();
    let ended = catch_unwind(AssertUnwindSafe(|| drop(app)));
    let message = ended
        .expect_err("a message still claimed fails the test")
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(message.contains("still claimed"), "{message}");
    assert!(!database_exists(&url).await, "dropped all the same");
}

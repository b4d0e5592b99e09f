//! Liveness and readiness.

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_200_with_a_migrated_database() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn readyz_fails_while_a_migration_is_missing() {
    let app = spawn_app().await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
}

#[tokio::test]
async fn unknown_paths_are_problem_json_404() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/nope/13912345678"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn a_sane_request_id_from_the_load_balancer_is_kept() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "lb-42");
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id with spaces");
}

#[tokio::test]
async fn another_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/api/v1/inquiries"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST, GET, HEAD");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    // HEAD wherever GET is: the head of the GET answer, no body.
    for path in [
        "/healthz",
        "/metrics",
        "/api/v1/docs/",
        "/thanks",
        "/api/v1/form-token",
    ] {
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        let get = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path} has GET's head"
        );
    }
    // A method the API never uses: 405 too, on known and unknown paths.
    for path in ["/api/v1/inquiries", "/api/v1/inquiries/x/notes", "/nowhere"] {
        let response = app
            .client
            .request(
                reqwest::Method::from_bytes(b"PROPFIND").unwrap(),
                app.url(path),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{path}");
        let allow = response.headers()["allow"].to_str().unwrap().to_string();
        let expected = match path {
            "/api/v1/inquiries" => "POST, GET, HEAD",
            "/api/v1/inquiries/x/notes" => "POST",
            _ => "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
        };
        assert_eq!(allow, expected, "{path}");
    }
}

//! Keys, roles and the access log.

use std::process::Command;

use inquiry_desk::routes::table::ROUTES;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, valid_inquiry};

/// Which role each staff route needs (SPEC §4); public routes are listed as "public".
fn required_role(method: &str, path: &str) -> &'static str {
    match (method, path) {
        ("GET", "/healthz" | "/readyz" | "/thanks" | "/metrics")
        | ("POST", "/api/v1/inquiries") => "public",
        ("GET", "/api/v1/openapi.json" | "/api/v1/docs/{file:.*}" | "/api/v1/form-token") => {
            "public"
        }
        // The form's files and the inbox's page: the inbox asks for the key itself.
        (
            "GET",
            "/embed/form.js" | "/embed/form.css" | "/embed/demo" | "/embed/demo.css" | "/inbox"
            | "/inbox/app.js" | "/inbox/app.css",
        ) => "public",
        (
            "GET",
            "/api/v1/inquiries" | "/api/v1/inquiries/{id}" | "/api/v1/articles" | "/api/v1/stats",
        )
        | ("PATCH", "/api/v1/inquiries/{id}" | "/api/v1/articles/{id}")
        | ("POST", "/api/v1/inquiries/{id}/notes") => "sales",
        (
            "GET",
            "/api/v1/inquiries/export.csv"
            | "/api/v1/keys"
            | "/api/v1/access-log"
            | "/api/v1/privacy/subject",
        )
        | ("DELETE", "/api/v1/inquiries/{id}" | "/api/v1/keys/{id}" | "/api/v1/privacy/subject")
        | (
            "POST",
            "/api/v1/keys" | "/api/v1/inquiries/{id}/notifications/{notification_id}/retry",
        ) => "admin",
        _ => "unlisted",
    }
}

#[tokio::test]
async fn every_staff_route_checks_key_and_role() {
    // Behind a proxy, each route's failed attempts from a client of its own: more than 20 from
    // one client in a minute are throttled (that has a test of its own).
    let app =
        spawn_app_with(|s| s.server.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let id = app.submit(&valid_inquiry()).await;
    let sales = app.sales().await;
    let admin = app.admin().await;
    let bad_key = format!("idk_{}", "0".repeat(64));
    for (index, (method, path)) in ROUTES.iter().enumerate() {
        let role = required_role(method, path);
        assert_ne!(
            role, "unlisted",
            "{method} {path} has no role in this test's table"
        );
        if role == "public" {
            continue;
        }
        let path = path.replace("{id}", &id);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let client = format!("203.0.113.{index}");
        let send = |key: Option<&str>| {
            let mut request = app
                .client
                .request(method.clone(), app.url(&path))
                .header("x-forwarded-for", client.as_str());
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request
                .header("content-type", "application/json")
                .body("{}")
                .send()
        };
        let missing = send(None).await.unwrap();
        assert_eq!(missing.status(), 401, "{method} {path} without key");
        assert_eq!(missing.headers()["www-authenticate"], "Bearer");
        assert_eq!(
            missing.json::<Value>().await.unwrap()["code"],
            "unauthorized"
        );
        assert_eq!(
            send(Some(&bad_key)).await.unwrap().status(),
            401,
            "{method} {path} bad key"
        );
        assert_eq!(send(Some("nonsense")).await.unwrap().status(), 401);
        let as_sales = send(Some(&sales)).await.unwrap().status();
        if role == "admin" {
            assert_eq!(as_sales, 403, "{method} {path} as sales");
        } else {
            assert!(
                as_sales != 401 && as_sales != 403,
                "{method} {path} as sales: {as_sales}"
            );
        }
        let as_admin = send(Some(&admin)).await.unwrap().status();
        assert!(
            as_admin != 401 && as_admin != 403,
            "{method} {path} as admin: {as_admin}"
        );
    }
}

#[tokio::test]
async fn keys_are_stored_only_as_hashes_and_can_be_revoked_through_the_api() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let response = app
        .staff(Method::POST, &admin, "/api/v1/keys")
        .json(&json!({"name": "李销售", "role": "sales"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("idk_") && key.len() == 68, "{key}");
    assert_eq!(created["prefix"], &key[..12]);
    assert_eq!(created["role"], "sales");

    let stored: i64 = app
        .count(&format!(
            "SELECT count(*) FROM api_keys WHERE key_hash = sha256('{key}'::bytea) AND prefix = '{}'",
            &key[..12]
        ))
        .await;
    assert_eq!(stored, 1, "the SHA-256 of the key is stored");
    let plaintext = app
        .count(&format!(
            "SELECT count(*) FROM api_keys WHERE api_keys::text LIKE '%{}%'",
            &key[12..]
        ))
        .await;
    assert_eq!(plaintext, 0, "the secret part is stored nowhere");

    assert_eq!(app.get_as(&key, "/api/v1/inquiries").await.status(), 200);
    let used = app
        .count("SELECT count(*) FROM api_keys WHERE name = '李销售' AND last_used_at IS NOT NULL")
        .await;
    assert_eq!(used, 1, "last use recorded");
    let listed = app.get_json(&admin, "/api/v1/keys").await;
    assert!(listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "李销售"));
    assert!(!listed.to_string().contains(&key[12..]));

    let id = created["id"].as_str().unwrap();
    let revoked = app
        .staff(Method::DELETE, &admin, &format!("/api/v1/keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(app.get_as(&key, "/api/v1/inquiries").await.status(), 401);

    let bad = app
        .staff(Method::POST, &admin, "/api/v1/keys")
        .json(&json!({"name": "", "role": "boss", "extra": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

fn cli(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_inquiry-desk"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("APP_ENV")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_creates_lists_and_revokes_keys() {
    let app = spawn_app().await;
    let url = app.settings.database.url.expose_secret().to_string();
    let (ok, stdout, stderr) = cli(
        &url,
        &["keys", "create", "--name", "王销售", "--role", "sales"],
    );
    assert!(ok, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the key alone on stdout: {stdout:?}");
    let key = lines[0];
    assert!(key.starts_with("idk_") && key.len() == 68);
    assert!(!stderr.contains(&key[12..]), "the key is not logged");
    assert_eq!(app.get_as(key, "/api/v1/inquiries").await.status(), 200);

    let (ok, listing, _) = cli(&url, &["keys", "list"]);
    assert!(ok);
    assert!(
        listing.contains("王销售") && listing.contains(&key[..12]) && listing.contains("sales")
    );
    assert!(!listing.contains(&key[12..]));

    let (ok, _, stderr) = cli(&url, &["keys", "revoke", &key[..12]]);
    assert!(ok, "{stderr}");
    assert_eq!(app.get_as(key, "/api/v1/inquiries").await.status(), 401);
    let (ok, _, _) = cli(&url, &["keys", "create", "--name", "x", "--role", "boss"]);
    assert!(!ok, "unknown role refused");
}

#[tokio::test]
async fn reads_go_to_the_access_log_and_never_change_the_etag() {
    let app = spawn_app().await;
    let id = app.submit(&valid_inquiry()).await;
    let sales = app.sales().await;
    let first = app.get_as(&sales, &format!("/api/v1/inquiries/{id}")).await;
    let etag = first.headers()["etag"].clone();
    let second = app.get_as(&sales, &format!("/api/v1/inquiries/{id}")).await;
    assert_eq!(second.headers()["etag"], etag);
    let admin = app.admin().await;
    let log = app
        .get_json(&admin, &format!("/api/v1/access-log?inquiry_id={id}"))
        .await;
    let reads: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "read")
        .collect();
    assert_eq!(reads.len(), 2);
    assert!(reads[0]["key_name"].as_str().unwrap().starts_with("sales-"));
    let timeline = second.json::<Value>().await.unwrap()["timeline"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        timeline, 1,
        "only `received`: reads are not on the timeline"
    );
}

#[tokio::test]
async fn every_staff_error_speaks_the_requests_language_and_keeps_its_headers() {
    // Handlers return errors as they are; the language is resolved once, for all of them.
    let app = spawn_app().await;
    let sales = app.sales().await;
    let id = app.submit(&crate::helpers::valid_inquiry()).await;
    let cases: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("no key", app.client.get(app.url("/api/v1/inquiries")), 401),
        (
            "sales on an admin route",
            app.staff(reqwest::Method::GET, &sales, "/api/v1/keys"),
            403,
        ),
        (
            "a bad status",
            app.staff(
                reqwest::Method::PATCH,
                &sales,
                &format!("/api/v1/inquiries/{id}"),
            )
            .json(&serde_json::json!({"status": "bogus", "assignee": 5})),
            422,
        ),
        (
            "no such inquiry",
            app.staff(
                reqwest::Method::GET,
                &sales,
                &format!("/api/v1/inquiries/{}", uuid::Uuid::now_v7()),
            ),
            404,
        ),
        (
            "no such path",
            app.client.get(app.url("/api/v1/nothing")),
            404,
        ),
    ];
    for (what, request, status) in cases {
        let request = request.build().unwrap();
        for (lang, title_is_chinese) in [(None, true), (Some("en-US,en;q=0.9"), false)] {
            let mut request = request.try_clone().unwrap();
            if let Some(lang) = lang {
                request
                    .headers_mut()
                    .insert("accept-language", lang.parse().unwrap());
            }
            let response = app.client.execute(request).await.unwrap();
            assert_eq!(response.status(), status, "{what} {lang:?}");
            let headers = response.headers().clone();
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{what} {lang:?}"
            );
            if response.url().path().starts_with("/api/v1/") {
                assert_eq!(headers["cache-control"], "no-store", "{what} {lang:?}");
            }
            assert!(headers.contains_key("x-request-id"), "{what} {lang:?}");
            let problem: serde_json::Value = response.json().await.unwrap();
            let title = problem["title"].as_str().unwrap();
            let chinese = title
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert_eq!(chinese, title_is_chinese, "{what} {lang:?}: {title}");
            assert_eq!(problem["status"], status, "{what}");
            if status == 422 {
                let messages: Vec<&str> = problem["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["message"].as_str().unwrap())
                    .collect();
                assert_eq!(messages.len(), 2, "{what}: every field listed");
                for m in messages {
                    let chinese = m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    assert_eq!(chinese, title_is_chinese, "{what} {lang:?}: {m}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_openapi_document_names_each_routes_role() {
    // The role is in the handler's signature (`SalesKey`, `AdminKey`) and beside the route in
    // the document (OpenAPI 3.1: a non-OAuth scheme's array lists the roles it requires).
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (method, path) in ROUTES {
        let role = required_role(method, path);
        if role == "public" {
            continue;
        }
        let operation = &doc["paths"][*path][method.to_lowercase()];
        assert_eq!(
            operation["security"],
            json!([{ "bearer": [role] }]),
            "{method} {path}"
        );
        for status in ["401", "403", "429", "503"] {
            let response = &operation["responses"][status];
            assert!(
                response["content"]["application/problem+json"].is_object(),
                "{method} {path} {status}: {response}"
            );
        }
    }
}

#[tokio::test]
async fn a_staff_body_names_every_failing_field_in_the_types_order() {
    // A field serde cannot read does not hide the rules the other fields break.
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.submit(&valid_inquiry()).await;
    let cases = [
        (
            Method::POST,
            "/api/v1/keys".to_string(),
            json!({"role": "boss", "name": ""}),
            vec![("name", "required"), ("role", "invalid_value")],
        ),
        (
            Method::POST,
            "/api/v1/keys".to_string(),
            json!({"name": "前台"}),
            vec![("role", "invalid_value")],
        ),
        (
            Method::PATCH,
            format!("/api/v1/inquiries/{id}"),
            json!({"assignee": "长".repeat(51), "status": "closed"}),
            vec![("status", "invalid_value"), ("assignee", "too_long")],
        ),
        (
            Method::PATCH,
            format!("/api/v1/inquiries/{id}"),
            json!({"assignee": 5, "status": 3}),
            vec![("status", "invalid_value"), ("assignee", "invalid_type")],
        ),
    ];
    for (method, path, body, expected) in cases {
        let response = app
            .staff(method.clone(), &admin, &path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{method} {path} {body}");
        let problem: Value = response.json().await.unwrap();
        let got: Vec<(String, String)> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        assert_eq!(got, expected, "{method} {path} {body}");
    }
}

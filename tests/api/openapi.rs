//! The OpenAPI document is generated from the code and lists every route the app serves; the
//! docs page works offline.

use inquiry_desk::routes::table::ROUTES;
use serde_json::Value;

use crate::helpers::spawn_app;

/// `/api/v1/docs/{file:.*}` (actix) is `/api/v1/docs/{file}` (OpenAPI).
fn openapi_path(actix_path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    let mut skipping = false;
    for c in actix_path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push(c);
            }
            ':' if in_param => skipping = true,
            '}' => {
                in_param = false;
                skipping = false;
                out.push(c);
            }
            c if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn the_document_lists_every_route_and_only_those() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();

    let mut served = Vec::new();
    for (method, path) in ROUTES {
        let path = openapi_path(path);
        let operation = &paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} not documented"))[method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} not documented");
        assert!(
            operation["responses"]
                .as_object()
                .is_some_and(|r| !r.is_empty()),
            "{method} {path}"
        );
        if path.starts_with("/api/v1/")
            && ![
                "/api/v1/openapi.json",
                "/api/v1/docs/{file}",
                "/api/v1/form-token",
            ]
            .contains(&path.as_str())
            && !(path == "/api/v1/inquiries" && *method == "POST")
        {
            // A key, with the role it must have (staff_auth checks which).
            let roles = &operation["security"][0]["bearer"];
            assert!(
                roles == &serde_json::json!(["sales"]) || roles == &serde_json::json!(["admin"]),
                "{method} {path} needs a key: {roles}"
            );
            assert!(
                operation["responses"]["401"].is_object(),
                "{method} {path} documents 401"
            );
        }
        served.push((method.to_lowercase(), path));
    }
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                served.contains(&(method.clone(), path.clone())),
                "{method} {path} is documented but not served"
            );
        }
    }
    // Bodies and errors are described by schemas.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Problem",
        "FieldProblem",
        "InquiryRequest",
        "InquiryDetail",
        "InquiryItem",
        "Stats",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    let intake = &paths["/api/v1/inquiries"]["post"];
    assert!(intake["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert!(intake["responses"]["422"]["content"]["application/problem+json"].is_object());
}

#[test]
fn the_form_schema_is_the_field_catalogue() {
    use inquiry_desk::domain::catalogue::FIELDS;
    use utoipa::OpenApi;
    let doc = serde_json::to_value(inquiry_desk::openapi::ApiDoc::openapi()).unwrap();
    let form = &doc["components"]["schemas"]["InquiryRequest"];
    let required: Vec<&str> = form["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in FIELDS {
        let property = &form["properties"][field.name];
        // A lenient field is cut, never refused: no maxLength a client would enforce.
        let max = if field.lenient {
            Value::Null
        } else {
            field.max.into()
        };
        assert_eq!(property["maxLength"], max, "{}", field.name);
        assert!(
            property["description"].as_str().unwrap().contains(field.zh),
            "{}",
            field.name
        );
        assert_eq!(
            required.contains(&field.name),
            field.required,
            "{}",
            field.name
        );
    }
    for name in ["utm_source", "utm_content", "consent", "_ts", "_next"] {
        assert!(form["properties"][name].is_object(), "{name}");
    }
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/api/v1/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"));
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn"),
        "no CDN: {html}"
    );
    for file in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/api/v1/docs/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        if file == "swagger-initializer.js" {
            assert!(response
                .text()
                .await
                .unwrap()
                .contains("/api/v1/openapi.json"));
        }
    }
    let missing = app
        .client
        .get(app.url("/api/v1/docs/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

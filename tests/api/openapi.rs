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

/// Whether `value` fits `schema` (a part of `doc`), as far as the document's schemas go:
/// `$ref`, `oneOf`/`anyOf`, `type` (one or a list, `null` included), `enum`, `properties`,
/// `required`, `additionalProperties: false` by default for our objects (a field the body has
/// and the schema does not name is a drift), `items`. The path of the first misfit as `Err`.
fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return fits(doc, &doc["components"]["schemas"][name], value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().try_for_each(|part| fits(doc, part, value, at));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array() {
            return options
                .iter()
                .find(|o| fits(doc, o, value, at).is_ok())
                .map(|_| ())
                .ok_or_else(|| format!("{at}: {value} fits none of {key}"));
        }
    }
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let number = kind == "integer" && allowed.contains(&"number");
    if !allowed.is_empty() && !allowed.contains(&kind) && !number {
        return Err(format!(
            "{at}: {value} is {kind}, the schema says {allowed:?}"
        ));
    }
    if let Some(values) = schema["enum"].as_array() {
        if !values.contains(value) {
            return Err(format!("{at}: {value} is not one of {values:?}"));
        }
    }
    if let (Value::Object(object), Some(properties)) = (value, schema["properties"].as_object()) {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap();
            if !object.contains_key(name) {
                return Err(format!("{at}: required {name} is missing"));
            }
        }
        for (name, field) in object {
            let Some(property) = properties.get(name) else {
                return Err(format!("{at}: {name} is not in the schema"));
            };
            fits(doc, property, field, &format!("{at}.{name}"))?;
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            fits(doc, item, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_webhook_schema_describes_what_a_partner_receives() {
    use crate::helpers::{spawn_app_with, valid_inquiry, RobotPeer};
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let peer = RobotPeer::start(&["--webhook-secret", SECRET]).await;
    let mut channel: inquiry_desk::settings::Channel = serde_json::from_value(serde_json::json!({
        "name": "crm", "kind": "webhook", "webhook_url": peer.url("/hooks"), "secret": SECRET,
    }))
    .unwrap();
    channel.check().unwrap();
    let app = spawn_app_with(move |s| {
        s.notify.default_recipients = Vec::new();
        s.notify.default_channels = vec!["crm".into()];
        s.notify.channels = vec![channel];
    })
    .await;
    let mut first = valid_inquiry();
    first["article_url"] = "https://www.example.cn/articles/7?utm_source=baidu&bd_vid=1196".into();
    first["article_title"] = "高新区标准厂房出租".into();
    app.submit(&first).await;
    app.worker().dispatch_pending().await.unwrap();
    let mut again = first.clone();
    again["need"] = "改为求租仓库3000平方米".into();
    app.submit(&again).await;
    app.worker().dispatch_pending().await.unwrap();
    let bodies: Vec<Value> = peer
        .received()
        .await
        .into_iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");

    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let post = &doc["webhooks"]["inquiry"]["post"];
    let schema = &post["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(schema["$ref"], "#/components/schemas/WebhookEvent");
    let headers: Vec<&str> = post["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "header")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
    );
    for body in &bodies {
        fits(&doc, schema, body, "body").unwrap();
    }
    assert_eq!(bodies[0]["type"], "inquiry.received");
    assert_eq!(bodies[1]["type"], "inquiry.supplement");
    assert_eq!(
        bodies[0]["inquiry"]["attribution"]["click_ids"]["bd_vid"],
        "1196"
    );
    // The checker is not a check that cannot fail: a field the schema does not name is caught.
    let mut drifted = bodies[0].clone();
    drifted["inquiry"]["surprise"] = 1.into();
    assert!(fits(&doc, schema, &drifted, "body").is_err());
    drop(app);
}

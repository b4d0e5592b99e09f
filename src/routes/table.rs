//! Every route of the application, declared once: registered with its handler, listed in
//! [`ROUTES`] (the OpenAPI document is checked against it), and asked by [`allowed_methods`]
//! for the `Allow` header of a 405.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, Lang};
use crate::routes::{health, intake, pages, staff};
use crate::{metrics, openapi};

/// Declares every route once: registers it, and lists it in `ROUTES` (the OpenAPI document is
/// checked against that list in the tests).
macro_rules! routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every (method, path) the application serves.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        /// Registers every route, a 405 for a known path with another method, and a 404.
        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(cfg.route($path, routes!(@method $method).to($handler));)*
            // A known path with another method: 405 (resources are tried in order).
            $(cfg.route($path, web::route().to(method_not_allowed));)*
            cfg.default_service(web::to(not_found));
        }
    };
    // HEAD is answered wherever GET is (actix-web sends the head without the body).
    (@method GET) => { web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head())) };
    (@method POST) => { web::post() };
    (@method PATCH) => { web::patch() };
    (@method DELETE) => { web::delete() };
}

// More specific paths first: `export.csv` before `{id}`.
routes! {
    GET "/healthz" => health::healthz,
    GET "/readyz" => health::readyz,
    GET "/thanks" => pages::thanks,
    GET "/embed/form.js" => crate::routes::embed::form_js,
    GET "/embed/form.css" => crate::routes::embed::form_css,
    GET "/embed/demo" => crate::routes::embed::demo,
    GET "/embed/demo.css" => crate::routes::embed::demo_css,
    GET "/inbox" => crate::routes::inbox::page,
    GET "/inbox/app.js" => crate::routes::inbox::script,
    GET "/inbox/app.css" => crate::routes::inbox::style,
    POST "/api/v1/inquiries" => intake::create_inquiry,
    GET "/api/v1/form-token" => crate::routes::form_token::get_form_token,
    GET "/api/v1/inquiries" => staff::inquiries::list_inquiries,
    GET "/api/v1/inquiries/export.csv" => staff::export::export_inquiries,
    GET "/api/v1/inquiries/{id}" => staff::inquiries::get_inquiry,
    PATCH "/api/v1/inquiries/{id}" => staff::inquiries::update_inquiry,
    DELETE "/api/v1/inquiries/{id}" => staff::inquiries::anonymise_inquiry,
    POST "/api/v1/inquiries/{id}/notes" => staff::inquiries::add_note,
    POST "/api/v1/inquiries/{id}/notifications/{notification_id}/retry" => staff::inquiries::retry_notification,
    GET "/api/v1/articles" => staff::articles::list_articles,
    PATCH "/api/v1/articles/{id}" => staff::articles::update_article,
    GET "/api/v1/stats" => staff::stats::get_stats,
    GET "/api/v1/keys" => staff::keys::list_keys,
    POST "/api/v1/keys" => staff::keys::create_key,
    DELETE "/api/v1/keys/{id}" => staff::keys::revoke_key,
    GET "/api/v1/access-log" => staff::keys::access_log,
    GET "/api/v1/privacy/subject" => staff::privacy::export_subject,
    DELETE "/api/v1/privacy/subject" => staff::privacy::erase_subject,
    GET "/api/v1/openapi.json" => openapi::openapi_json,
    GET "/api/v1/docs/{file:.*}" => openapi::docs,
    GET "/metrics" => metrics::scrape,
}

/// The `Allow` value of a path: the methods of the route it matches, e.g. `POST, GET`; `None`
/// when it matches no route.
pub fn allowed_methods(path: &str) -> Option<String> {
    use actix_web::dev::ResourceDef;
    static DEFS: std::sync::LazyLock<Vec<(ResourceDef, &'static str)>> =
        std::sync::LazyLock::new(|| {
            ROUTES
                .iter()
                .map(|(method, pattern)| (ResourceDef::new(*pattern), *method))
                .collect()
        });
    // The first route matching the path owns it (routes are tried in order), so a path such
    // as `…/export.csv` lists only its own methods.
    let (first, _) = DEFS.iter().find(|(def, _)| def.is_match(path))?;
    let mut allowed: Vec<&str> = DEFS
        .iter()
        .filter(|(def, _)| def.pattern() == first.pattern())
        .map(|(_, method)| *method)
        .collect();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    Some(allowed.join(", "))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods(req.path()).unwrap_or_default();
    let mut response = ApiError::MethodNotAllowed.to_response(Lang::from_request(&req));
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

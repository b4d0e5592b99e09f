//! CORS (SPEC §2): the public form's endpoints (POST intake, GET form token) from the site's own
//! origins (`intake.allowed_site_hosts`, any while that list is empty); everything else only from
//! `staff.cors_origins`. Other origins get no CORS headers (same-origin use is unaffected).

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::RequestHead;
use actix_web::http::{header, Method};

use crate::domain::article::untranslated_host;
use crate::settings::Settings;

pub fn cors(settings: Arc<Settings>) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin, req| allows(&settings, origin.to_str().unwrap_or(""), req))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::LOCATION, header::RETRY_AFTER, header::ETAG])
        .block_on_origin_mismatch(false)
        .max_age(3600)
}

fn allows(settings: &Settings, origin: &str, req: &RequestHead) -> bool {
    let method = if req.method == Method::OPTIONS {
        req.headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| m.to_str().ok())
            .and_then(|m| m.parse::<Method>().ok())
            .unwrap_or(Method::OPTIONS)
    } else {
        req.method.clone()
    };
    let path = req.uri.path();
    let public = (path == "/api/v1/inquiries" && method == Method::POST)
        || (path == "/api/v1/form-token" && method == Method::GET);
    if public {
        match url::Url::parse(origin) {
            // A page read through Google's translation proxy counts as its original host.
            Ok(url) if matches!(url.scheme(), "http" | "https") => {
                url.host_str().is_some_and(|host| {
                    settings.intake.host_allowed(host)
                        || untranslated_host(host).is_some_and(|h| settings.intake.host_allowed(&h))
                })
            }
            _ => false,
        }
    } else {
        settings
            .staff
            .cors_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin)
    }
}

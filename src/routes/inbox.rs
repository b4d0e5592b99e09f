//! The sales inbox: one page and its script and stylesheet, compiled into the binary. It uses the
//! staff API with the key the user types, kept in the tab's sessionStorage only.

use actix_web::http::header;
use actix_web::HttpResponse;

use crate::routes::embed::CSP;

const PAGE: &str = include_str!("../web/inbox.html");
const SCRIPT: &str = include_str!("../web/inbox.js");
const STYLE: &str = include_str!("../web/inbox.css");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// `GET /inbox`: the page; `#/inquiries/{id}` opens one lead (the link in notification emails).
#[utoipa::path(get, path = "/inbox", tag = "inbox",
    responses((status = 200, description = "The sales inbox (Chinese)", content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

/// `GET /inbox/app.js`
#[utoipa::path(get, path = "/inbox/app.js", tag = "inbox",
    responses((status = 200, description = "The inbox's script", content_type = "text/javascript")))]
pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /inbox/app.css`
#[utoipa::path(get, path = "/inbox/app.css", tag = "inbox",
    responses((status = 200, description = "The inbox's stylesheet", content_type = "text/css")))]
pub async fn style() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLE)
}

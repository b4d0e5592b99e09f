//! The sales inbox: one page and its script and stylesheet, compiled into the binary. It uses the
//! staff API with the key the user types, kept in the tab's sessionStorage only.

use actix_web::HttpResponse;

use crate::routes::embed::{html_page, static_file};

const PAGE: &str = include_str!("../assets/inbox.html");
const SCRIPT: &str = include_str!("../assets/inbox.js");
const STYLE: &str = include_str!("../assets/inbox.css");

/// `GET /inbox`: the page; `#/inquiries/{id}` opens one lead (the link in notification emails).
#[utoipa::path(get, path = "/inbox", tag = "inbox",
    responses((status = 200, description = "The sales inbox (Chinese)", content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    html_page(PAGE)
}

/// `GET /inbox/app.js`
#[utoipa::path(get, path = "/inbox/app.js", tag = "inbox",
    responses((status = 200, description = "The inbox's script", content_type = "text/javascript")))]
pub async fn script() -> HttpResponse {
    static_file("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /inbox/app.css`
#[utoipa::path(get, path = "/inbox/app.css", tag = "inbox",
    responses((status = 200, description = "The inbox's stylesheet", content_type = "text/css")))]
pub async fn style() -> HttpResponse {
    static_file("text/css; charset=utf-8", STYLE)
}

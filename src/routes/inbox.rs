//! The sales inbox: one page and its script and stylesheet, compiled into the binary. It uses the
//! staff API with the key the user types, kept in the tab's sessionStorage only.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::routes::embed::static_file;
use crate::routes::pages::{html, render, PageKind};

const SCRIPT: &str = include_str!("../assets/inbox.js");
const STYLE: &str = include_str!("../assets/inbox.css");

/// `GET /inbox`: the page; `#/inquiries/{id}` opens one lead (the link in notification emails).
#[utoipa::path(get, path = "/inbox", tag = "inbox",
    responses((status = 200, description = "The sales inbox (Chinese)", content_type = "text/html")))]
pub async fn page() -> HttpResponse {
    static RENDERED: std::sync::LazyLock<String> = std::sync::LazyLock::new(render_page);
    html(PageKind::App, StatusCode::OK, RENDERED.clone())
}

/// The page with the label table of every code the staff API answers.
fn render_page() -> String {
    use crate::domain::notification::{MessageKind, OutboxState};
    use crate::domain::{role::Role, status::Status, timeline::EventKind};
    let labels = serde_json::json!({
        "status": Status::labels(),
        "event_kind": EventKind::labels(),
        "message_kind": MessageKind::labels(),
        // Staff see `waiting` as `pending`: only the states they are shown.
        "outbox_state": OutboxState::labels()
            .into_iter()
            .filter(|(code, _)| *code != OutboxState::Waiting.as_str())
            .collect::<Vec<_>>(),
        "role": Role::labels(),
        // The visitor's fields, by the catalogue's labels.
        "field": crate::domain::catalogue::FIELDS
            .iter()
            .map(|f| (f.name, f.zh))
            .collect::<Vec<_>>(),
    });
    render("inbox.html", minijinja::context! { labels })
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

//! The embeddable form: `form.js` (progressive enhancement of a plain HTML form), its stylesheet,
//! the HTML snippet editors paste into an article, and a demo article page showing it.

use std::sync::OnceLock;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::catalogue::{self, Input};
use crate::domain::field::{FieldCode, FieldError};
use crate::domain::text::Lines;
use crate::error::{message, Lang};
use crate::routes::pages::{html, render, PageKind, THANKS_TEXT, THANKS_TITLE};
use crate::state::AppState;

const FORM_JS: &str = include_str!("../assets/form.js");
const FORM_CSS: &str = include_str!("../assets/form.css");

/// The rules and messages the script checks as the visitor types: the catalogue's fields and
/// the API's own messages, so that the browser and the server never disagree in wording.
pub fn rules() -> serde_json::Value {
    let zh = |field: &str, code| message(&FieldError::new(field, code), Lang::Zh);
    let fields: serde_json::Map<String, serde_json::Value> = catalogue::FIELDS
        .iter()
        .filter(|f| f.input != Input::None)
        .map(|f| {
            let rule = json!({
                "required": f.required,
                "max": f.max,
                "single_line": f.lines == Lines::Single,
                "messages": {
                    "required": zh(f.name, FieldCode::Required),
                    "too_long": message(&FieldError::too_long(f.name, f.max), Lang::Zh),
                    "line_break": zh(f.name, FieldCode::LineBreak),
                },
            });
            (f.name.to_string(), rule)
        })
        .collect();
    json!({
        "fields": fields,
        "messages": {
            "invalid_phone": zh("phone", FieldCode::InvalidPhone),
            "invalid_email": zh("email", FieldCode::InvalidEmail),
            "thanks_title": THANKS_TITLE,
            "thanks_text": THANKS_TEXT,
            "sending": "正在提交…",
            "failed": "提交失败，请稍后再试。",
            "network": "网络连接失败，请检查网络后重试。",
        },
    })
}

/// The HTML editors paste into an article (`assets/snippet.html`): the catalogue's form fields
/// and the honeypot input named by `intake.honeypot_field`. `base` is where inquiry-desk is
/// reached (`server.public_base_url`; empty for same-origin pages). It works without the
/// script too.
pub fn snippet(base: &str, honeypot: &str) -> String {
    render(
        "snippet.html",
        minijinja::context! {
            base => base.trim_end_matches('/'),
            honeypot,
            rows => catalogue::form_rows(),
        },
    )
}

/// One of our static files (compiled into the binary), cached for five minutes.
pub fn static_file(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

/// `GET /embed/form.js`
#[utoipa::path(get, path = "/embed/form.js", tag = "public",
    responses((status = 200, description = "The script that enhances the embedded form", content_type = "text/javascript")))]
pub async fn form_js() -> HttpResponse {
    // The rules go first, as data the script reads: the script itself is served as written.
    static SCRIPT: OnceLock<String> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        let rules = json!({ "rules": rules() });
        format!("window.inquiryDesk = {rules};\n{FORM_JS}")
    });
    static_file("text/javascript; charset=utf-8", script.as_str())
}

/// `GET /embed/form.css`
#[utoipa::path(get, path = "/embed/form.css", tag = "public",
    responses((status = 200, description = "The embedded form's stylesheet", content_type = "text/css")))]
pub async fn form_css() -> HttpResponse {
    static_file("text/css; charset=utf-8", FORM_CSS)
}

/// `GET /embed/demo`: an example article with the form, and the snippet to copy.
#[utoipa::path(get, path = "/embed/demo", tag = "public",
    responses((status = 200, description = "An example article page with the embedded form and its snippet", content_type = "text/html")))]
pub async fn demo(state: web::Data<AppState>) -> HttpResponse {
    let honeypot = &state.settings.intake.honeypot_field;
    let body = render(
        "demo.html",
        minijinja::context! {
            form => snippet("", honeypot),
            snippet => snippet(&state.settings.server.public_base_url, honeypot),
        },
    );
    html(PageKind::App, StatusCode::OK, body)
}

/// `GET /embed/demo.css`: the demo article's own look (the form brings its own stylesheet).
#[utoipa::path(get, path = "/embed/demo.css", tag = "public",
    responses((status = 200, description = "The demo article's stylesheet", content_type = "text/css")))]
pub async fn demo_css() -> HttpResponse {
    static_file(
        "text/css; charset=utf-8",
        "body{font-family:-apple-system,BlinkMacSystemFont,'PingFang SC','Microsoft YaHei',sans-serif;\
         color:#222;line-height:1.7;margin:0;padding:1rem}article{max-width:44rem;margin:0 auto}\
         h1{font-size:1.5rem}pre{background:#f4f5f7;padding:1rem;overflow:auto;font-size:.8rem}",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_carries_the_api_messages() {
        let rules = rules();
        assert_eq!(
            rules["fields"]["phone"]["messages"]["required"],
            "请填写手机号"
        );
        assert_eq!(rules["messages"]["invalid_phone"], "请输入有效的手机号码");
        assert_eq!(rules["fields"]["contact"]["max"], 50);
    }

    #[test]
    fn the_snippet_posts_to_the_service_and_has_every_field() {
        let html = snippet("https://desk.example.cn/", "website");
        assert!(html.contains("action=\"https://desk.example.cn/api/v1/inquiries\""));
        for f in catalogue::FIELDS.iter().filter(|f| f.input != Input::None) {
            let name = f.name;
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
            assert!(html.contains(&format!("maxlength=\"{}\"", f.max)), "{name}");
        }
        assert!(html.contains("name=\"website\""), "honeypot");
        assert!(html.contains("<textarea id=\"idk-need\" name=\"need\""));
        assert!(html.contains("type=\"tel\""));
        let renamed = snippet("", "fax_number");
        assert!(renamed.contains("name=\"fax_number\"") && !renamed.contains("name=\"website\""));
        assert!(html.contains("src=\"https://desk.example.cn/embed/form.js\""));
    }
}

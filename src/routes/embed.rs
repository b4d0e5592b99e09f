//! The embeddable form: `form.js` (progressive enhancement of a plain HTML form), its stylesheet,
//! the HTML snippet editors paste into an article, and a demo article page showing it.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::domain::field::{FieldCode, FieldError};
use crate::domain::inquiry::limits;
use crate::error::{message, Lang};
use crate::routes::pages::escape_html;
use crate::startup::AppState;

const FORM_JS: &str = include_str!("../assets/form.js");
const FORM_CSS: &str = include_str!("../assets/form.css");

/// The form's fields: name, label, required, limit, single line.
const FIELDS: [(&str, bool, usize, bool); 8] = [
    ("need", true, limits::NEED, false),
    ("use", false, limits::USE, false),
    ("tax", false, limits::TAX, true),
    ("company", false, limits::COMPANY, true),
    ("contact", true, limits::CONTACT, true),
    ("phone", true, limits::PHONE, true),
    ("email", false, limits::EMAIL, true),
    ("wechat", false, limits::WECHAT, true),
];

const THANKS_TITLE: &str = "感谢您的咨询！";
const THANKS_TEXT: &str = "我们已收到您的需求，招商顾问会尽快与您联系。";

/// The rules and messages the script checks as the visitor types: the API's own messages, so
/// that the browser and the server never disagree in wording.
pub fn rules() -> serde_json::Value {
    let zh = |field: &str, code| message(&FieldError::new(field, code), Lang::Zh);
    let fields: serde_json::Map<String, serde_json::Value> = FIELDS
        .iter()
        .map(|&(name, required, max, single_line)| {
            let rule = json!({
                "required": required,
                "max": max,
                "single_line": single_line,
                "messages": {
                    "required": zh(name, FieldCode::Required),
                    "too_long": message(&FieldError::too_long(name, max), Lang::Zh),
                    "line_break": zh(name, FieldCode::LineBreak),
                },
            });
            (name.to_string(), rule)
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

/// The HTML editors paste into an article. `base` is where inquiry-desk is reached
/// (`server.public_base_url`; empty for same-origin pages). It works without the script too.
pub fn snippet(base: &str) -> String {
    let base = escape_html(base.trim_end_matches('/'));
    let input = |name: &str, label: &str, kind: &str, required: bool, max: usize, hint: &str| {
        let star = if required {
            " <span class=\"idk-req\">*</span>"
        } else {
            ""
        };
        let req = if required { " required" } else { "" };
        let control = if kind == "textarea" {
            format!("<textarea id=\"idk-{name}\" name=\"{name}\" maxlength=\"{max}\" rows=\"3\" placeholder=\"{hint}\"{req}></textarea>")
        } else {
            let extra = match kind {
                "tel" => " inputmode=\"tel\" autocomplete=\"tel\"",
                // A text input with the email keyboard: the browser's own type="email" check
                // refuses `wang＠example.cn` typed in full-width mode (and blocks the post
                // without a word), which the server folds and accepts.
                "email" => " inputmode=\"email\" autocomplete=\"email\"",
                _ => "",
            };
            let kind = if kind == "email" { "text" } else { kind };
            format!("<input id=\"idk-{name}\" name=\"{name}\" type=\"{kind}\" maxlength=\"{max}\" placeholder=\"{hint}\"{extra}{req}>")
        };
        format!(
            "  <div class=\"idk-field\"><label for=\"idk-{name}\">{label}{star}</label>{control}</div>\n"
        )
    };
    let mut html = format!(
        "<link rel=\"stylesheet\" href=\"{base}/embed/form.css\">\n\
         <form class=\"idk-form\" data-inquiry-desk method=\"post\" action=\"{base}/api/v1/inquiries\" accept-charset=\"utf-8\">\n\
         \x20 <p class=\"idk-title\">留下需求，招商顾问尽快联系您</p>\n"
    );
    html += &input(
        "need",
        "需求",
        "textarea",
        true,
        limits::NEED,
        "例如：求租宝安区厂房约 2000 平方米，层高 8 米",
    );
    html += "  <div class=\"idk-pair\">\n";
    html += &input(
        "use",
        "用途",
        "text",
        false,
        limits::USE,
        "例如：电子元件组装",
    );
    html += &input(
        "tax",
        "税收",
        "text",
        false,
        limits::TAX,
        "例如：年纳税 500 万元",
    );
    html += "  </div>\n";
    html += &input(
        "company",
        "公司",
        "text",
        false,
        limits::COMPANY,
        "公司名称",
    );
    html += "  <div class=\"idk-pair\">\n";
    html += &input(
        "contact",
        "联系人",
        "text",
        true,
        limits::CONTACT,
        "怎么称呼您",
    );
    html += &input(
        "phone",
        "手机号",
        "tel",
        true,
        limits::PHONE,
        "例如：139 1234 5678",
    );
    html += "  </div>\n  <div class=\"idk-pair\">\n";
    html += &input(
        "email",
        "邮箱 <span class=\"idk-hint\">选填</span>",
        "email",
        false,
        limits::EMAIL,
        "name@example.com",
    );
    html += &input(
        "wechat",
        "微信 <span class=\"idk-hint\">选填</span>",
        "text",
        false,
        limits::WECHAT,
        "微信号",
    );
    html += "  </div>\n";
    // The browser fills `_charset_` with the encoding it posts in (HTML's form submission),
    // so a legacy page's form is never left to guessing (SPEC §2, Encodings).
    html += "  <input type=\"hidden\" name=\"_charset_\">\n";
    html += "  <div hidden aria-hidden=\"true\"><label>网站 <input name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></label></div>\n\
             \x20 <button type=\"submit\">提交咨询</button>\n\
             \x20 <p class=\"idk-status\" role=\"status\" aria-live=\"polite\"></p>\n\
             </form>\n";
    html += &format!("<script src=\"{base}/embed/form.js\" defer></script>\n");
    html
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
    static SCRIPT: OnceLock<String> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| FORM_JS.replace("__RULES__", &rules().to_string()));
    static_file("text/javascript; charset=utf-8", script.as_str())
}

/// `GET /embed/form.css`
#[utoipa::path(get, path = "/embed/form.css", tag = "public",
    responses((status = 200, description = "The embedded form's stylesheet", content_type = "text/css")))]
pub async fn form_css() -> HttpResponse {
    static_file("text/css; charset=utf-8", FORM_CSS)
}

/// Pages of ours run only our own files: no inline script or style, nothing from elsewhere.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       connect-src 'self'; img-src 'self' data:; form-action 'self'; \
                       base-uri 'none'; frame-ancestors 'none'";

/// An HTML page of ours: [`CSP`], never framed, not cached.
pub fn html_page(html: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "strict-origin-when-cross-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html.into())
}

/// `GET /embed/demo`: an example article with the form, and the snippet to copy.
#[utoipa::path(get, path = "/embed/demo", tag = "public",
    responses((status = 200, description = "An example article page with the embedded form and its snippet", content_type = "text/html")))]
pub async fn demo(state: web::Data<AppState>) -> HttpResponse {
    let for_editors = snippet(&state.settings.server.public_base_url);
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>宝安区 2000㎡ 单层厂房出租（示例文章）</title>\
         <link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/embed/demo.css\"></head><body><article>\
         <h1>宝安区 2000㎡ 单层厂房出租</h1>\
         <p>这是一篇示例文章，演示如何在文章中嵌入 inquiry-desk 的咨询表单。厂房位于宝安区，\
         层高 8 米，配 10 吨行车，适合精密制造与仓储。</p>{form}\
         <h2>嵌入代码</h2><p>把下面的代码粘贴到文章中即可：</p><pre><code>{code}</code></pre>\
         </article></body></html>",
        form = snippet(""),
        code = escape_html(&for_editors),
    );
    html_page(html)
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
        let html = snippet("https://desk.example.cn/");
        assert!(html.contains("action=\"https://desk.example.cn/api/v1/inquiries\""));
        for (name, ..) in FIELDS {
            assert!(html.contains(&format!("name=\"{name}\"")), "{name}");
        }
        assert!(html.contains("name=\"website\""), "honeypot");
        assert!(html.contains("src=\"https://desk.example.cn/embed/form.js\""));
    }
}

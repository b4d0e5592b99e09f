//! Our HTML pages, rendered by minijinja from the templates in `src/assets/`: the sales inbox,
//! the demo article with the embeddable form's snippet, and the small Chinese pages of the
//! public form (thank-you, "please fix"). One helper answers every page, with the
//! Content-Security-Policy of its kind.

use std::sync::LazyLock;

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use minijinja::{AutoEscape, Environment, Value};

use crate::error::{message, ApiError, Lang};

/// What a page may load, which decides its Content-Security-Policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// The inbox and the demo: our own scripts and stylesheets, nothing inline, nothing from
    /// elsewhere.
    App,
    /// The thank-you and error pages: no script at all, one inline stylesheet.
    Message,
    /// The API docs (Swagger UI): its own scripts and styles, inline style attributes (its
    /// React components set them), `data:` images and fonts (set by `routes::headers`).
    Docs,
}

impl PageKind {
    pub fn csp(self) -> &'static str {
        match self {
            Self::App => {
                "default-src 'none'; script-src 'self'; style-src 'self'; \
                 connect-src 'self'; img-src 'self' data:; form-action 'self'; \
                 base-uri 'none'; frame-ancestors 'none'"
            }
            Self::Message => {
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                 form-action 'self'; frame-ancestors 'none'"
            }
            Self::Docs => {
                "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
                 base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            }
        }
    }

    fn referrer_policy(self) -> &'static str {
        match self {
            // The form's pages were reached from an article: nothing of it is passed on.
            Self::Message => "no-referrer",
            Self::App | Self::Docs => "strict-origin-when-cross-origin",
        }
    }
}

/// An HTML page: its kind's CSP, never framed, not cached.
pub fn html(kind: PageKind, status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, kind.csp()))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, kind.referrer_policy()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// The templates, compiled into the binary. Names ending in `.html` are escaped for HTML.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("inbox.html", include_str!("../assets/inbox.html")),
        ("snippet.html", include_str!("../assets/snippet.html")),
        ("demo.html", include_str!("../assets/demo.html")),
        ("message.html", include_str!("../assets/message.html")),
    ] {
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(template = name, %error, "template does not compile");
        }
    }
    // Text is escaped as `escape_html` does: minijinja's own escaping also writes `/` as
    // `&#x2f;`, which editors would then see in the snippet they copy.
    env.set_formatter(|out, state, value| match value.as_str() {
        Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => out
            .write_str(&escape_html(text))
            .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure)),
        _ => minijinja::escape_formatter(out, state, value),
    });
    env
});

/// Renders one of the templates. The templates and their values are ours, so a failure is a
/// defect (logged, and the page is empty); every page has a test that renders it.
pub fn render(name: &str, context: Value) -> String {
    TEMPLATES
        .get_template(name)
        .and_then(|template| template.render(context))
        .unwrap_or_else(|error| {
            tracing::error!(template = name, %error, "template failed");
            String::new()
        })
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /thanks`: where a browser lands after posting the form, when no other page is set.
#[utoipa::path(get, path = "/thanks", tag = "public",
    responses((status = 200, description = "The built-in Chinese thank-you page", content_type = "text/html")))]
pub async fn thanks() -> HttpResponse {
    let body = render(
        "message.html",
        minijinja::context! {
            html_lang => "zh-CN",
            title => "提交成功",
            heading => THANKS_TITLE,
            text => THANKS_TEXT,
        },
    );
    html(PageKind::Message, StatusCode::OK, body)
}

/// The thank-you words, shared by this page and the form's script.
pub const THANKS_TITLE: &str = "感谢您的咨询！";
pub const THANKS_TEXT: &str = "我们已收到您的需求，招商顾问会尽快与您联系。";

/// An error for a browser's form post: its real status, what to fix, a link back.
pub fn error_page(error: &ApiError, lang: Lang, back: Option<&str>) -> HttpResponse {
    let problem = error.problem(lang);
    let items: Vec<String> = match error {
        ApiError::Validation(errors) => errors.iter().map(|e| message(e, lang)).collect(),
        _ => Vec::new(),
    };
    let back = back
        .and_then(|b| url::Url::parse(b).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from);
    let back_text = match (lang, back.is_some()) {
        (Lang::En, true) => "Back to the form",
        (Lang::En, false) => "Please go back to the previous page to correct it.",
        (Lang::Zh, true) => "返回修改",
        (Lang::Zh, false) => "请返回上一页修改后重新提交。",
    };
    let body = render(
        "message.html",
        minijinja::context! {
            html_lang => if lang == Lang::En { "en" } else { "zh-CN" },
            title => &problem.title,
            heading => &problem.title,
            text => &problem.detail,
            items,
            back,
            back_text,
        },
    );
    let mut response = html(PageKind::Message, error.status(), body);
    let retry_after = match error {
        ApiError::Unavailable(_) => Some(u64::from(crate::error::RETRY_AFTER_UNAVAILABLE)),
        ApiError::RateLimited { retry_after } => Some(*retry_after),
        _ => None,
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html("<script>\"x\"&'"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;"
        );
    }
}

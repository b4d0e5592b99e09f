//! The small Chinese HTML pages of the public form: thank-you and "please fix" pages.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;

use crate::error::{message, ApiError, Lang};

/// Pages carry no script and load nothing from elsewhere.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:-apple-system,BlinkMacSystemFont,'PingFang SC',\
'Microsoft YaHei',sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222;\
line-height:1.6}h1{font-size:1.4rem}li{margin:.3rem 0}a{color:#0a58ca}";

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

fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> HttpResponse {
    let html_lang = if lang == Lang::En { "en" } else { "zh-CN" };
    let html = format!(
        "<!doctype html><html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        title = escape_html(title),
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

/// `GET /thanks`: where a browser lands after posting the form, when no other page is set.
#[utoipa::path(get, path = "/thanks", tag = "public",
    responses((status = 200, description = "The built-in Chinese thank-you page", content_type = "text/html")))]
pub async fn thanks() -> HttpResponse {
    page(
        StatusCode::OK,
        Lang::Zh,
        "提交成功",
        "<h1>感谢您的咨询！</h1><p>我们已收到您的需求，招商顾问会尽快与您联系。</p>",
    )
}

/// An error for a browser's form post: its real status, what to fix, a link back.
pub fn error_page(error: &ApiError, lang: Lang, back: Option<&str>) -> HttpResponse {
    let problem = error.problem(lang);
    let mut body = format!(
        "<h1>{}</h1><p>{}</p>",
        escape_html(&problem.title),
        escape_html(&problem.detail)
    );
    if let ApiError::Validation(errors) = error {
        body.push_str("<ul>");
        for e in errors {
            body.push_str(&format!("<li>{}</li>", escape_html(&message(e, lang))));
        }
        body.push_str("</ul>");
    }
    let back_text = if lang == Lang::En {
        "Back to the form"
    } else {
        "返回修改"
    };
    match back
        .and_then(|b| url::Url::parse(b).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
    {
        Some(url) => body.push_str(&format!(
            "<p><a href=\"{}\">{back_text}</a></p>",
            escape_html(url.as_str())
        )),
        None => body.push_str(&format!(
            "<p>{}</p>",
            if lang == Lang::En {
                "Please go back to the previous page to correct it."
            } else {
                "请返回上一页修改后重新提交。"
            }
        )),
    }
    let mut response = page(error.status(), lang, &problem.title, &body);
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

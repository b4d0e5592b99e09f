//! Tracing set-up, the request's root span (`tracing-actix-web`) and its one log line, and
//! masking of personal data.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, LogSettings};

/// Installs the global subscriber: text or JSON lines on standard error.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest unmatched path written to a log line, in characters (after masking).
const MAX_LOGGED_PATH_CHARS: usize = 200;

/// The label a method gets in logs and metrics: one of the methods the API uses (SPEC §5: `GET
/// HEAD POST PATCH DELETE OPTIONS`), else `other`. An HTTP method is any token a client likes
/// (RFC 9110 §9.1), so it never becomes a label or log field as sent.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A path that matched no route, as it may be logged: percent-decoded, then phone numbers
/// however they are written (`139-1234-5678`, `139 1234 5678`, `0756-3331234`) and email
/// addresses blanked (`domain::redact::blank_contacts`, the anonymiser's own reader), any other
/// long digit run masked, cut to [`MAX_LOGGED_PATH_CHARS`] characters.
fn loggable_path(path: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let masked = mask_pii(&crate::domain::redact::blank_contacts(&decoded));
    match masked.char_indices().nth(MAX_LOGGED_PATH_CHARS) {
        Some((end, _)) => format!("{}…", &masked[..end]),
        None => masked,
    }
}

/// The request's id, as [`RequestSpan`] chose it: kept in the request's extensions and sent
/// back in `X-Request-Id`.
#[derive(Debug, Clone)]
struct RequestId(String);

/// The root span of every request, for `tracing-actix-web`'s `TracingLogger`: `request` with the
/// request id (taken from `X-Request-Id` when the load balancer sets a sane one: at most 64
/// letters, digits, `-` and `_`; else a new UUID). Nothing else: unlike
/// the crate's default span it carries no path, query, client address or user agent, which may
/// hold personal data (a phone number in a query, a visitor's IP). The request's one log line
/// is [`log_requests`]'s, inside this span.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let request_id = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 64
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let span = tracing::info_span!("request", request_id = %request_id);
        request.extensions_mut().insert(RequestId(request_id));
        span
    }

    /// Nothing to add: [`log_requests`] has logged the request, and an error was logged once
    /// where it became a response (`ApiError::log`).
    fn on_request_end<B: MessageBody>(
        _span: tracing::Span,
        _outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
    }
}

/// Logs every request once, when it ends: method, route, status, latency, within the root span
/// of [`RequestSpan`] (which carries the request id, sent back here). A method the API does not
/// use is answered 405 here, before any handler, and logged and counted as `other`: nothing a
/// client sends becomes an unbounded label or field. The handler runs under one database
/// deadline for the whole request (`state::one_deadline`).
pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();

    let method = method_label(req.method());
    let started = Instant::now();
    if method == "other" {
        let lang = crate::error::Lang::from_request(req.request());
        let mut response = crate::error::ApiError::MethodNotAllowed.to_response(lang);
        // The methods of the route the path names; for any other path, the API's methods.
        let allow = crate::routes::table::allowed_methods(req.path())
            .and_then(|a| HeaderValue::from_str(&a).ok())
            .unwrap_or(HeaderValue::from_static(
                "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
            ));
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, allow);
        let res = req.into_response(response).map_into_right_body();
        let route = "unmatched";
        tracing::info!(method, route, status = 405, "request");
        crate::metrics::request(route, method, 405, started.elapsed().as_secs_f64());
        return Ok(res);
    }
    let result = crate::state::one_deadline(next.call(req)).await;
    let latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    match result {
        Ok(res) => {
            // An error's problem body, in the request's language (see `error::english_body`).
            let mut res = match crate::error::english_body(res.request(), res.response()) {
                Some(body) => res.map_body(|_, _| EitherBody::<_, Vec<u8>>::right(body)),
                None => res.map_body(|_, body| EitherBody::left(body)),
            };
            let pattern = res.request().match_pattern();
            let route = pattern
                .clone()
                .unwrap_or_else(|| loggable_path(res.request().path()));
            let status = res.status().as_u16();
            tracing::info!(method, %route, status, latency_ms, "request");
            // Unmatched paths share one label: visitors must not grow the metric set.
            let label = pattern.unwrap_or_else(|| "unmatched".into());
            crate::metrics::request(&label, method, status, latency_ms / 1000.0);
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(res.map_into_left_body())
        }
        Err(error) => {
            tracing::warn!(method, latency_ms, error = %error, "request failed");
            Err(error)
        }
    }
}

/// Masks phone-number-like digit runs (7 or more digits: `139****5678`) and email addresses
/// (`w***@example.cn`) in free text before it is logged.
pub fn mask_pii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in split_keep(text) {
        if word.contains('@') && word.len() > 2 {
            let (local, domain) = word.split_once('@').unwrap_or((word, ""));
            let first: String = local.chars().take(1).collect();
            out.push_str(&format!("{first}***@{domain}"));
        } else {
            out.push_str(&mask_digit_runs(word));
        }
    }
    out
}

/// Splits into words and separators, keeping both (so the text can be rebuilt).
fn split_keep(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(
            c,
            ' ' | '/' | '?' | '&' | '=' | ',' | ';' | '"' | '\'' | '<' | '>'
        ) {
            if start < i {
                parts.push(&text[start..i]);
            }
            parts.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        parts.push(&text[start..]);
    }
    parts
}

fn mask_digit_runs(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run = &chars[start..i];
            if run.len() >= 7 {
                out.extend(&run[..3]);
                out.push_str("****");
                out.extend(&run[run.len() - 4..]);
            } else {
                out.extend(run);
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_paths_are_logged_without_contact_details() {
        for path in [
            "/x/139-1234-5678",
            "/x/139.1234.5678",
            "/x/139%201234%205678",
            "/x/wang%40example.cn",
            "/x/0756-3331234",
            "/x/%2B86%20139%201234%205678",
        ] {
            let logged = loggable_path(path);
            assert!(
                !logged.contains("1234") && !logged.contains("wang") && !logged.contains("3331234"),
                "{path} logged as {logged}"
            );
        }
        assert_eq!(loggable_path("/api/v1/nope"), "/api/v1/nope");
    }

    #[test]
    fn masks_phones_and_emails() {
        assert_eq!(mask_pii("/x/13912345678"), "/x/139****5678");
        assert_eq!(
            mask_pii("phone=+8613912345678&a=1"),
            "phone=+861****5678&a=1"
        );
        assert_eq!(mask_pii("mail wang@example.cn"), "mail w***@example.cn");
        assert_eq!(mask_pii("/api/v1/inquiries"), "/api/v1/inquiries");
        assert_eq!(mask_pii("2026"), "2026");
    }
}

//! `POST /api/v1/inquiries`: the public form's endpoint (SPEC §2).
//!
//! Unlike the staff routes (serde types with `deny_unknown_fields`, `routes::staff::body`), the
//! intake keeps a parser of its own (`intake_body`, then `domain::inquiry::NewInquiry::parse`):
//! it reads two encodings (JSON and forms in any charset a Chinese page posts), ignores fields
//! it does not know (a site's form sends its own), cuts what a visitor cannot see or fix instead
//! of refusing it, and must answer a bot exactly as it answers a person (the spam path), none of
//! which a strict typed body does.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::client;
use super::intake_body;
use super::pages;
use crate::domain::form_token;
use crate::domain::inquiry::{NewInquiry, Origin, RawFields};
use crate::error::{ApiError, Lang};
use crate::intake::{self, Outcome, Submission};
use crate::state::AppState;
use crate::storage::idempotency::{self, Claim, StoredAnswer};
use crate::storage::intake_record::RequestMeta;

const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
}

impl BodyKind {
    fn of(req: &HttpRequest) -> Option<Self> {
        let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = value.split(';').next()?.trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Self::Json),
            "application/x-www-form-urlencoded" => Some(Self::Form),
            _ => None,
        }
    }

    fn essence(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// How the answer is given: JSON for API clients, redirects and pages for a browser's form.
struct Answerer<'a> {
    lang: Lang,
    html: bool,
    req: &'a HttpRequest,
}

impl Answerer<'_> {
    fn error(&self, error: ApiError) -> HttpResponse {
        if self.html {
            pages::error_page(&error, self.lang, client::referer(self.req))
        } else {
            error.to_response(self.lang)
        }
    }

    fn success(&self, answer: &StoredAnswer, next: &str) -> HttpResponse {
        if self.html {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .finish();
        }
        let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
        let mut response = HttpResponse::build(status);
        if let Some(id) = answer.body.get("id").and_then(|v| v.as_str()) {
            response.insert_header((header::LOCATION, format!("/api/v1/inquiries/{id}")));
        }
        response.json(&answer.body)
    }
}

#[utoipa::path(post, path = "/api/v1/inquiries", tag = "public",
    request_body(content(
        (crate::openapi::InquiryRequest = "application/json"),
        (crate::openapi::InquiryRequest = "application/x-www-form-urlencoded"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "≤ 255 characters; replays the first answer for 24 h")),
    responses(
        (status = 201, description = "Received: a new inquiry, a repeat or spam alike (the answer never says which); `id` is the submission's receipt, also in `Location`", body = crate::intake::IntakeAnswer),
        (status = 303, description = "Browser form post: redirect to _next, thank_you_url or /thanks"),
        (status = 408, description = "The body did not arrive within server.body_timeout", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed body or query", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflict", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or parameters (every one listed)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit of this client (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unreachable (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn create_inquiry(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let lang = Lang::from_request(&req);
    let Some(kind) = BodyKind::of(&req) else {
        crate::metrics::inquiry_outcome("rejected");
        return ApiError::UnsupportedMediaType { json_only: false }.to_response(lang);
    };
    let answerer = Answerer {
        lang,
        html: kind == BodyKind::Form && client::prefers_html(&req),
        req: &req,
    };
    match handle(&req, kind, payload, &state).await {
        Ok((answer, next)) => answerer.success(&answer, &next),
        Err(error) => {
            crate::metrics::inquiry_outcome(match error {
                ApiError::Unavailable(_) | ApiError::Internal(_) => "failed",
                _ => "rejected",
            });
            answerer.error(error)
        }
    }
}

async fn handle(
    req: &HttpRequest,
    kind: BodyKind,
    payload: web::Payload,
    state: &AppState,
) -> Result<(StoredAnswer, String), ApiError> {
    let settings = &state.settings;
    let client_ip = client::client_ip(req, &settings.server);
    check_rate(client_ip, state)?;
    let idempotency_key = idempotency_key(req)?;
    let body = read_body(req, payload, settings.intake.max_body_bytes).await?;
    let declared = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(intake_body::charset_param);
    let raw = match kind {
        BodyKind::Json => intake_body::json(&body, declared),
        BodyKind::Form => intake_body::form(&body, declared),
    }?;
    let next = redirect_target(&raw, state);

    let origin = Origin {
        referer: client::referer(req),
    };
    let spam_reason = match raw.text(&settings.intake.honeypot_field) {
        Some(_) => Some("honeypot"),
        None => fill_time_suspicious(&raw, state)
            .await
            .then_some("form_token"),
    };
    // Checked as strictly whether or not an anti-bot check fired: a bot must not learn from a
    // 201 where a person gets a 422 that its submission was caught (SPEC §2 Answers).
    let inquiry =
        NewInquiry::parse(&raw, &origin, &settings.intake).map_err(ApiError::Validation)?;

    // An Idempotency-Key belongs to the client that sent it (its address or IPv6 /64).
    let idempotency = idempotency_key.map(|key| {
        let scope = client_ip
            .map(|ip| client::client_key(ip).to_string())
            .unwrap_or_default();
        (scope, key)
    });
    if let Some((scope, key)) = &idempotency {
        let hash = request_hash(kind, &body);
        match state
            .db(idempotency::claim(&state.pool, scope, key, &hash))
            .await?
        {
            Claim::Claimed => {}
            Claim::Replay(answer) => return Ok((replayed(answer), next)),
            Claim::Reused => return Err(ApiError::IdempotencyKeyReused),
            Claim::InUse => return Err(ApiError::IdempotencyKeyInUse),
        }
    }

    let meta = RequestMeta {
        client_ip,
        user_agent: client::user_agent(req),
        privacy_notice_version: Some(settings.intake.privacy_notice_version.clone())
            .filter(|v| !v.is_empty()),
    };
    let submission = Submission {
        inquiry: &inquiry,
        meta: &meta,
        spam_reason,
        idempotency_key: idempotency
            .as_ref()
            .map(|(scope, key)| (scope.as_str(), *key)),
    };
    let recorded = state
        .db(intake::record(
            &state.writers,
            settings,
            &state.wakeup,
            submission,
        ))
        .await;
    match recorded {
        Ok(outcome) => {
            log_outcome(&outcome, spam_reason, &inquiry);
            Ok((outcome.answer(), next))
        }
        Err(error) => {
            if let Some((scope, key)) = &idempotency {
                // Errors are not stored; if the database is gone, the claim expires by itself.
                let _ = state
                    .db_own(idempotency::release(&state.pool, scope, key))
                    .await;
            }
            Err(error)
        }
    }
}

/// A stored answer as it is replayed: the receipt answer of SPEC §2, also for an answer stored by
/// an earlier version (`200 {"duplicate": true}`), which would tell what a receipt must not.
fn replayed(answer: StoredAnswer) -> StoredAnswer {
    match answer
        .body
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
    {
        Some(id) => intake::receipt_answer(id),
        None => answer,
    }
}

/// The client's token bucket; 429 with `Retry-After` when it is empty.
fn check_rate(client_ip: Option<std::net::IpAddr>, state: &AppState) -> Result<(), ApiError> {
    let (Some(limiter), Some(ip)) = (&state.rate_limiter, client_ip) else {
        return Ok(());
    };
    if rand::random_range(0..1024) == 0 {
        // Forget idle clients now and then, so the table does not grow without bound.
        limiter.retain_recent();
    }
    match limiter.check_key(&client::client_key(ip)) {
        Ok(()) => Ok(()),
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            Err(ApiError::RateLimited {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
            })
        }
    }
}

/// `_ts` present and not a token of ours from between `min_fill_time` and 24 hours ago: a bot.
/// When the key cannot be read (the database is away), nothing is held against the visitor:
/// a real lead is never filed as spam for our own failure.
async fn fill_time_suspicious(raw: &RawFields, state: &AppState) -> bool {
    let Some(token) = raw.text("_ts") else {
        return false;
    };
    let Ok(key) = state.form_token_key().await else {
        return false;
    };
    let now = super::form_token::now_millis();
    match form_token::verify(key, token, now) {
        form_token::TokenCheck::Valid(age) => age < state.settings.intake.min_fill_time,
        form_token::TokenCheck::Invalid => true,
    }
}

fn log_outcome(outcome: &Outcome, spam_reason: Option<&str>, inquiry: &NewInquiry) {
    let phone = inquiry
        .phone
        .as_ref()
        .map(|p| p.masked())
        .unwrap_or_default();
    let result = match (spam_reason, outcome.duplicate) {
        (Some(_), _) => "spam",
        (None, true) => "duplicate",
        (None, false) => "created",
    };
    crate::metrics::inquiry_outcome(result);
    tracing::info!(inquiry.id = %outcome.id, result, phone = %phone, "inquiry recorded");
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<&str>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::InvalidIdempotencyKey)?
        .trim();
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.bytes().all(|b| (0x20..0x7f).contains(&b));
    if valid {
        Ok(Some(key))
    } else {
        Err(ApiError::InvalidIdempotencyKey)
    }
}

/// The body's identity for Idempotency-Key: SHA-256 of content type and raw bytes.
fn request_hash(kind: BodyKind, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(kind.essence().as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hasher.finalize().to_vec()
}

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            if super::body_deadline::is_timeout(&e) {
                ApiError::RequestTimeout
            } else {
                ApiError::MalformedBody
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where a browser goes after a successful post: `_next` when its host is listed explicitly in
/// `intake.allowed_site_hosts`, else `intake.thank_you_url`, else the built-in `/thanks`.
fn redirect_target(raw: &RawFields, state: &AppState) -> String {
    let intake = &state.settings.intake;
    let next = raw
        .text("_next")
        .and_then(|n| url::Url::parse(n).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| {
            u.host_str()
                .is_some_and(|h| intake.host_listed_explicitly(h))
        });
    match next {
        Some(url) => url.to_string(),
        None if !intake.thank_you_url.is_empty() => intake.thank_you_url.clone(),
        None => "/thanks".to_string(),
    }
}

//! API errors as RFC 9457 problem details, with messages in Chinese (default) or English.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::field::{FieldCode, FieldError};

/// The language of messages: Chinese unless `Accept-Language` prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn from_request(req: &HttpRequest) -> Self {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Self::from_accept_language)
            .unwrap_or(Lang::Zh)
    }

    /// English when the best-ranked language we speak is English; Chinese otherwise.
    pub fn from_accept_language(value: &str) -> Self {
        let mut best: Option<(f32, Lang)> = None;
        for item in value.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else {
                continue;
            };
            // Earlier entries win ties: browsers list them in order of preference.
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Zh)
    }

    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Every way a request can fail, each with its status and stable code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("malformed body")]
    MalformedBody,
    /// A form body that neither its declared charset, nor UTF-8, nor GB18030 decodes: stored,
    /// it would be replacement characters (SPEC §2, Encodings).
    #[error("undecodable body")]
    UndecodableBody,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    /// The body did not arrive within `server.body_timeout` (SPEC §5).
    #[error("request body timed out")]
    RequestTimeout,
    /// A body in a type the route does not read: `json_only` for the staff API (JSON bodies
    /// only), else the intake (JSON or a form).
    #[error("unsupported media type")]
    UnsupportedMediaType { json_only: bool },
    #[error("invalid Idempotency-Key")]
    InvalidIdempotencyKey,
    #[error("Idempotency-Key reused with another body")]
    IdempotencyKeyReused,
    #[error("Idempotency-Key in use")]
    IdempotencyKeyInUse,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("the key's role may not do this")]
    Forbidden,
    #[error("status move not allowed")]
    InvalidTransition {
        from: crate::domain::status::Status,
        to: crate::domain::status::Status,
    },
    #[error("If-Match does not match the current version")]
    PreconditionFailed,
    /// Only a dead notification can be sent again (SPEC §6); `state` is the one it is in.
    #[error("notification not dead")]
    NotRetryable {
        state: crate::domain::notification::OutboxState,
    },
    #[error("too many requests")]
    RateLimited { retry_after: u64 },
    /// More than 20 failed staff authentications from this client within a minute (SPEC §4).
    #[error("too many failed authentications")]
    AuthThrottled { retry_after: u64 },
    #[error("database unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// The seconds a client should wait after a 503.
pub const RETRY_AFTER_UNAVAILABLE: u32 = 5;

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedBody | Self::UndecodableBody | Self::InvalidIdempotencyKey => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::IdempotencyKeyInUse => StatusCode::CONFLICT,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::InvalidTransition { .. } | Self::NotRetryable { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::RateLimited { .. } | Self::AuthThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::MalformedBody => "malformed_body",
            Self::UndecodableBody => "undecodable_body",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::UnsupportedMediaType { .. } => "unsupported_media_type",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInUse => "idempotency_key_in_use",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::InvalidTransition { .. } => "invalid_transition",
            Self::NotRetryable { .. } => "not_retryable",
            Self::PreconditionFailed => "precondition_failed",
            Self::RateLimited { .. } => "rate_limited",
            Self::AuthThrottled { .. } => "too_many_failed_authentications",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn title(&self, lang: Lang) -> &'static str {
        match self {
            Self::Validation(_) => lang.pick("提交的信息有误", "Some fields need fixing"),
            Self::MalformedBody => lang.pick("请求格式错误", "Malformed request body"),
            Self::UndecodableBody => {
                lang.pick("无法识别提交内容的编码", "Unreadable text encoding")
            }
            Self::PayloadTooLarge { .. } => lang.pick("提交内容过大", "Request body too large"),
            Self::RequestTimeout => lang.pick("提交超时", "Request body timed out"),
            Self::UnsupportedMediaType { .. } => {
                lang.pick("不支持的内容类型", "Unsupported content type")
            }
            Self::InvalidIdempotencyKey => {
                lang.pick("Idempotency-Key 无效", "Invalid Idempotency-Key")
            }
            Self::IdempotencyKeyReused => {
                lang.pick("Idempotency-Key 已被使用", "Idempotency-Key already used")
            }
            Self::IdempotencyKeyInUse => lang.pick("请求正在处理中", "Request still in progress"),
            Self::NotFound => lang.pick("未找到", "Not found"),
            Self::MethodNotAllowed => lang.pick("不支持的请求方法", "Method not allowed"),
            Self::Unauthorized => lang.pick("未授权", "Unauthorized"),
            Self::Forbidden => lang.pick("无权操作", "Forbidden"),
            Self::InvalidTransition { .. } => {
                lang.pick("不允许的状态变更", "Status move not allowed")
            }
            Self::PreconditionFailed => lang.pick("数据已被修改", "Precondition failed"),
            Self::NotRetryable { .. } => lang.pick(
                "只能重发发送失败的通知",
                "Only a dead notification can be retried",
            ),
            Self::RateLimited { .. } => lang.pick("提交过于频繁", "Too many requests"),
            Self::AuthThrottled { .. } => {
                lang.pick("密钥验证失败次数过多", "Too many failed authentications")
            }
            Self::Unavailable(_) => lang.pick("服务暂时不可用", "Service temporarily unavailable"),
            Self::Internal(_) => lang.pick("服务器内部错误", "Internal server error"),
        }
    }

    fn detail(&self, lang: Lang) -> String {
        match self {
            Self::Validation(errors) => match lang {
                Lang::Zh => format!("请修改标出的 {} 项后重新提交。", errors.len()),
                Lang::En => format!("Please fix the {} field(s) listed and submit again.", errors.len()),
            },
            Self::MalformedBody => lang
                .pick(
                    "请求正文无法解析：JSON 须为一个对象，表单须为 URL 编码的字段。",
                    "The body could not be read: JSON must be an object, a form must be URL-encoded fields.",
                )
                .into(),
            Self::UndecodableBody => lang
                .pick(
                    "提交内容的字符编码无法识别，为免保存成乱码未予受理。请在网页中以 UTF-8 或 GBK 编码提交，或在 Content-Type 中注明 charset。",
                    "The text encoding of the body could not be recognised, so nothing was stored rather than garbled text. Post UTF-8 or GBK, or name the charset in Content-Type.",
                )
                .into(),
            Self::PayloadTooLarge { limit } => match lang {
                Lang::Zh => format!("请求正文不能超过 {limit} 字节。"),
                Lang::En => format!("The request body must not exceed {limit} bytes."),
            },
            Self::RequestTimeout => lang
                .pick(
                    "请求正文未在规定时间内传完，未予受理。请检查网络后重新提交。",
                    "The request body did not arrive in time; nothing was stored. Check the connection and submit again.",
                )
                .into(),
            Self::UnsupportedMediaType { json_only: true } => lang
                .pick("请以 application/json 格式提交。", "Send application/json.")
                .into(),
            Self::UnsupportedMediaType { json_only: false } => lang
                .pick(
                    "请以 application/json 或 application/x-www-form-urlencoded 格式提交。",
                    "Send application/json or application/x-www-form-urlencoded.",
                )
                .into(),
            Self::InvalidIdempotencyKey => lang
                .pick(
                    "Idempotency-Key 须为 1–255 个可见 ASCII 字符。",
                    "The Idempotency-Key must be 1–255 visible ASCII characters.",
                )
                .into(),
            Self::IdempotencyKeyReused => lang
                .pick(
                    "此 Idempotency-Key 已用于另一个请求正文，请换用新的键。",
                    "This Idempotency-Key was used with a different body; use a new key.",
                )
                .into(),
            Self::IdempotencyKeyInUse => lang
                .pick(
                    "使用同一 Idempotency-Key 的请求仍在处理，请稍后重试。",
                    "A request with this Idempotency-Key is still being processed; retry shortly.",
                )
                .into(),
            Self::NotFound => lang.pick("请求的资源不存在。", "The resource does not exist.").into(),
            Self::MethodNotAllowed => lang
                .pick("此地址不支持该请求方法，见 Allow 响应头。", "See the Allow header for the methods of this path.")
                .into(),
            Self::Unauthorized => lang
                .pick(
                    "请在 Authorization 请求头中提供有效的 API 密钥（Bearer idk_…）。",
                    "Send a valid API key in the Authorization header (Bearer idk_…).",
                )
                .into(),
            Self::Forbidden => lang
                .pick("此密钥的角色无权执行该操作。", "This key's role may not do this.")
                .into(),
            Self::InvalidTransition { from, to } => match lang {
                Lang::Zh => format!("不能从“{}”变更为“{}”。", from.label(), to.label()),
                Lang::En => format!("An inquiry cannot move from {from} to {to}."),
            },
            // Cancelled: the inquiry was anonymised; its messages would carry blanked data.
            Self::NotRetryable {
                state: crate::domain::notification::OutboxState::Cancelled,
            } => lang
                .pick(
                    "该询盘已匿名化，其通知不再发送。",
                    "The inquiry was anonymised: its notifications are not sent again.",
                )
                .into(),
            Self::NotRetryable { state } => match lang {
                Lang::Zh => format!("该通知当前为“{}”，只有“发送失败”的通知可以重发。", state.shown().label()),
                Lang::En => format!("The notification is {}; only a dead one can be sent again.", state.shown()),
            },
            Self::RateLimited { retry_after } => match lang {
                Lang::Zh => format!("提交过于频繁，请 {retry_after} 秒后再试。"),
                Lang::En => format!("Too many submissions; please retry in {retry_after} s."),
            },
            Self::AuthThrottled { retry_after } => match lang {
                Lang::Zh => format!("此网络一分钟内密钥验证失败超过 20 次，请 {retry_after} 秒后再试。"),
                Lang::En => format!("More than 20 failed authentications from this network in a minute; retry in {retry_after} s."),
            },
            Self::PreconditionFailed => lang
                .pick(
                    "该询盘已被他人修改（If-Match 不符），请刷新后重试。",
                    "The inquiry changed since you read it (If-Match does not match); reload and retry.",
                )
                .into(),
            Self::Unavailable(_) => lang
                .pick(
                    "数据库暂时无法连接，您的信息尚未保存，请稍后重试。",
                    "The database cannot be reached right now; nothing was saved. Please retry shortly.",
                )
                .into(),
            Self::Internal(_) => lang
                .pick("服务器出现意外错误，请稍后重试。", "An unexpected error occurred; please retry.")
                .into(),
        }
    }

    /// The problem-details body in the given language.
    pub fn problem(&self, lang: Lang) -> Problem {
        let errors = match self {
            Self::Validation(errors) => errors.iter().map(|e| FieldProblem::new(e, lang)).collect(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("urn:inquiry-desk:problem:{}", self.code()),
            title: self.title(lang).into(),
            status: self.status().as_u16(),
            detail: self.detail(lang),
            code: self.code(),
            errors,
        }
    }

    /// Logs the error when it is the server's (500, 503): once, where it becomes a response.
    pub fn log(&self) {
        if let Self::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
        if let Self::Unavailable(e) = self {
            tracing::warn!(error = format!("{e:#}"), "database unavailable");
        }
    }

    /// The problem response in `lang`, logged ([`ApiError::log`]).
    pub fn to_response(&self, lang: Lang) -> HttpResponse {
        self.log();
        self.render(lang)
    }

    /// The problem response in `lang`: status, headers (`Retry-After`, `WWW-Authenticate`) and
    /// the problem-details body.
    pub fn render(&self, lang: Lang) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        response.content_type("application/problem+json");
        if matches!(self, Self::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_UNAVAILABLE.to_string()));
        }
        if let Self::RateLimited { retry_after } | Self::AuthThrottled { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if matches!(self, Self::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(self.problem(lang))
    }

    /// Classifies a database error: connection trouble is a 503, anything else a 500.
    pub fn from_db(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            Self::Unavailable(error.into())
        } else {
            Self::Internal(error.into())
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::from_db(error)
    }
}

/// Whether a database error means "the database cannot be reached right now".
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 57P0x: shutdown; 53300: too many connections.
            code.starts_with("08") || code.starts_with("57P") || code == "53300"
        }),
        _ => false,
    }
}

/// Handlers and extractors return `ApiError` as it is: actix-web renders it here, in Chinese,
/// and logs it once; `telemetry::log_requests` (the middleware that sees every request, inside
/// `tracing-actix-web`'s root span) rewrites the body in English when the request prefers it ([`english_body`]). So the
/// request's language is resolved in one place, and no handler maps errors by hand.
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response(Lang::Zh)
    }
}

/// The English problem body of an error response, when the response came from an `ApiError`
/// and the request prefers English; `None` otherwise (the Chinese body stands).
pub fn english_body<B>(req: &HttpRequest, response: &HttpResponse<B>) -> Option<Vec<u8>> {
    let error = response.error()?.as_error::<ApiError>()?;
    if Lang::from_request(req) != Lang::En {
        return None;
    }
    serde_json::to_vec(&error.problem(Lang::En)).ok()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    fn new(error: &FieldError, lang: Lang) -> Self {
        Self {
            field: error.field.clone(),
            code: error.code.as_str(),
            message: message(error, lang),
        }
    }
}

/// A field's label: the catalogue's for an inquiry field, else the staff API's own names.
fn label(field: &str, lang: Lang) -> String {
    if let Some(f) = crate::domain::catalogue::by_name(field) {
        return f.label(lang == Lang::En).to_string();
    }
    let (zh, en) = match field {
        "consent" => ("隐私同意", "consent"),
        "status" => ("状态", "status"),
        "assignee" => ("负责人", "assignee"),
        "body" => ("备注内容", "note"),
        "title" => ("标题", "title"),
        "name" => ("名称", "name"),
        "role" => ("角色", "role"),
        // Staff query parameters.
        "q" => ("搜索词", "search text"),
        "article_id" => ("文章编号", "article id"),
        "from" => ("起始时间", "start time"),
        "to" => ("截止时间", "end time"),
        "min_tax" => ("最低年税收", "minimum annual tax"),
        "notification" => ("通知状态", "notification state"),
        "limit" => ("每页条数", "page size"),
        "cursor" => ("翻页位置", "page cursor"),
        "lang" => ("语言", "language"),
        "sort" => ("排序方式", "sort order"),
        "inquiry_id" => ("询盘编号", "inquiry id"),
        other => return other.to_string(),
    };
    lang.pick(zh, en).to_string()
}

/// The message shown for one failing field. It names the field and the rule, never the value.
pub fn message(error: &FieldError, lang: Lang) -> String {
    let l = label(&error.field, lang);
    let max = error.max.unwrap_or_default();
    match (error.code, lang) {
        (FieldCode::Required, Lang::Zh) => format!("请填写{l}"),
        (FieldCode::Required, Lang::En) => format!("Please enter your {l}."),
        (FieldCode::TooLong, Lang::Zh) => format!("{l}不能超过 {max} 个字"),
        (FieldCode::TooLong, Lang::En) => format!("The {l} must be at most {max} characters."),
        (FieldCode::InvalidType, Lang::Zh) => format!("{l}须为文本"),
        (FieldCode::InvalidType, Lang::En) => format!("The {l} must be text."),
        (FieldCode::ControlCharacters, Lang::Zh) => format!("{l}包含不允许的控制字符"),
        (FieldCode::ControlCharacters, Lang::En) => {
            format!("The {l} contains control characters that are not allowed.")
        }
        (FieldCode::LineBreak, Lang::Zh) => format!("{l}不能换行"),
        (FieldCode::LineBreak, Lang::En) => format!("The {l} must be a single line."),
        (FieldCode::InvalidPhone, Lang::Zh) => "请输入有效的手机号码".into(),
        (FieldCode::InvalidPhone, Lang::En) => "Please enter a valid phone number.".into(),
        (FieldCode::InvalidEmail, Lang::Zh) => "请输入有效的邮箱地址".into(),
        (FieldCode::InvalidEmail, Lang::En) => "Please enter a valid email address.".into(),
        (FieldCode::ConsentRequired, Lang::Zh) => "请阅读并同意隐私政策".into(),
        (FieldCode::ConsentRequired, Lang::En) => "Please agree to the privacy notice.".into(),
        (FieldCode::InvalidConsent, Lang::Zh) => "请勾选同意隐私政策".into(),
        (FieldCode::InvalidConsent, Lang::En) => "Consent must be yes or no.".into(),
        (FieldCode::InvalidValue, Lang::Zh) => format!("{l}的取值无效"),
        (FieldCode::InvalidValue, Lang::En) => format!("The value of {l} is not valid."),
        (FieldCode::UnknownField, Lang::Zh) => format!("不支持字段 {l}"),
        (FieldCode::UnknownField, Lang::En) => format!("The field {l} cannot be set here."),
    }
}

/// Sets `Retry-After` on a response builder (used by 429 and 503 paths).
pub fn retry_after(seconds: u32) -> (header::HeaderName, HeaderValue) {
    (header::RETRY_AFTER, HeaderValue::from(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_english_only_when_preferred() {
        let cases = [
            ("", Lang::Zh),
            ("zh-CN,zh;q=0.9,en;q=0.8", Lang::Zh),
            ("en-US,en;q=0.9,zh-CN;q=0.8", Lang::En),
            ("en", Lang::En),
            ("fr-FR, en;q=0.5", Lang::En),
            ("fr-FR", Lang::Zh),
            ("zh-TW", Lang::Zh),
            ("en;q=0.3, zh;q=0.7", Lang::Zh),
            ("en;q=0", Lang::Zh),
            ("*", Lang::Zh),
        ];
        for (header, lang) in cases {
            assert_eq!(Lang::from_accept_language(header), lang, "{header:?}");
        }
    }

    #[test]
    fn field_messages_never_contain_the_value() {
        let e = FieldError::new("phone", FieldCode::InvalidPhone);
        assert_eq!(message(&e, Lang::Zh), "请输入有效的手机号码");
        let e = FieldError::too_long("contact", 50);
        assert_eq!(message(&e, Lang::Zh), "联系人不能超过 50 个字");
        assert_eq!(
            message(&e, Lang::En),
            "The contact person must be at most 50 characters."
        );
    }
}

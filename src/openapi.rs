//! The OpenAPI document, generated from the handlers' annotations and the response types, and
//! the shapes that exist only for documentation (the intake form, PATCH and note bodies).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::error::{FieldProblem, Problem};
use crate::routes::staff::views::{ArticleView, InquiryDetail, InquiryItem, Page, RelatedItem};
use crate::routes::{health, intake, pages, staff};
use crate::storage::articles::ArticleSummary;
use crate::storage::keys::{AccessEntry, KeyRow};
use crate::storage::listing::{EventRow, NotificationRow};
use crate::storage::stats::{ArticleCount, DayCount, SourceCount, Stats, StatusCount};
use crate::storage::workflow::Note;

/// The public form's fields (JSON, or the same names urlencoded). Unknown fields are ignored;
/// empty optional fields count as absent.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct InquiryRequest {
    /// 1–500 characters, multi-line.
    need: String,
    /// ≤ 200, multi-line.
    r#use: Option<String>,
    /// ≤ 100, e.g. "年纳税约300万".
    tax: Option<String>,
    company: Option<String>,
    /// 1–50.
    contact: String,
    /// A phone number, default region CN, as people type and paste it (full-width digits,
    /// dashes and spaces of every kind, invisible format characters); stored as E.164.
    phone: String,
    /// ≤ 254; full-width characters are folded (NFKC) first.
    email: Option<String>,
    /// Free text, one line, ≤ 50: a WeChat ID, a QQ or phone number (a phone is stored as
    /// E.164), or "same as my phone" (`同手机号`, `微信同号`: stored as the phone). Never an error.
    wechat: Option<String>,
    /// ≤ 2000, multi-line.
    message: Option<String>,
    /// The page's URL, sent as is: kept as the landing URL; its canonical form (tracking and
    /// ad-click parameters removed) links the article when its host is allowed. Never an error:
    /// a URL on another host or no URL at all only flags the inquiry.
    article_url: Option<String>,
    /// ≤ 200 (longer is cut); sets the article's title if it has none yet.
    article_title: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
    /// Required (true) when `intake.require_consent` is on; `true`, `on`, `1`, `yes` in a form.
    consent: Option<bool>,
    /// Honeypot (name configurable): humans leave it empty.
    website: Option<String>,
    /// Browser form posts: where to redirect after success (listed hosts only).
    _next: Option<String>,
}

/// The answer to every accepted submission — new inquiry, repeat or spam alike (SPEC §2).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct IntakeAnswer {
    /// The submission's receipt: staff open the inquiry with it (`GET /api/v1/inquiries/{id}`).
    id: uuid::Uuid,
    /// Always "received".
    status: String,
}

/// A new key: shown once, never again.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct CreatedKey {
    #[schema(inline)]
    #[serde(flatten)]
    key_row: KeyRow,
    key: String,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct KeyList {
    items: Vec<KeyRow>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccessLog {
    items: Vec<AccessEntry>,
}

#[allow(dead_code)]
#[derive(ToSchema)]
pub struct HealthAnswer {
    status: String,
    reason: Option<String>,
}

/// The list filters (shared by the CSV export).
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// One or several statuses, comma-separated.
    status: Option<String>,
    article_id: Option<uuid::Uuid>,
    /// Substring of company, contact, need or use (Chinese included); digits also match the phone.
    q: Option<String>,
    /// Any accepted spelling of a phone number.
    phone: Option<String>,
    /// RFC 3339, inclusive.
    from: Option<String>,
    /// RFC 3339, exclusive.
    to: Option<String>,
    assignee: Option<String>,
    /// Minimum derived annual tax in CNY.
    min_tax: Option<i64>,
    /// `dead`: inquiries with a dead notification.
    notification: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `en` for English column headers.
    lang: Option<String>,
}

#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    /// `count` (default) or `recent`.
    sort: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// RFC 3339; default 30 days before `to`.
    from: Option<String>,
    /// RFC 3339; default now.
    to: Option<String>,
}

#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogParams {
    inquiry_id: Option<uuid::Uuid>,
    /// 1–1000, default 100.
    limit: Option<i64>,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A staff key: idk_ followed by 64 hex characters"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "inquiry-desk",
        description = "Lead capture for article-page inquiry forms, and the sales staff API. \
                       Errors are RFC 9457 problem details, in Chinese unless Accept-Language prefers English."
    ),
    paths(
        health::healthz,
        health::readyz,
        pages::thanks,
        crate::routes::embed::form_js,
        crate::routes::embed::form_css,
        crate::routes::embed::demo,
        crate::routes::embed::demo_css,
        crate::routes::inbox::page,
        crate::routes::inbox::script,
        crate::routes::inbox::style,
        intake::create_inquiry,
        crate::routes::form_token::get_form_token,
        staff::inquiries::list_inquiries,
        staff::export::export_inquiries,
        staff::inquiries::get_inquiry,
        staff::inquiries::update_inquiry,
        staff::inquiries::anonymise_inquiry,
        staff::inquiries::add_note,
        staff::articles::list_articles,
        staff::articles::update_article,
        staff::stats::get_stats,
        staff::keys::list_keys,
        staff::keys::create_key,
        staff::keys::revoke_key,
        staff::keys::access_log,
        staff::privacy::export_subject,
        staff::privacy::erase_subject,
        openapi_json,
        docs,
        crate::metrics::scrape,
    ),
    components(schemas(
        Problem, FieldProblem, InquiryRequest, IntakeAnswer,
        crate::routes::staff::body::InquiryPatch, crate::routes::staff::body::NoteRequest,
        crate::routes::staff::body::KeyRequest,
        crate::routes::staff::body::ArticlePatch, crate::domain::inquiry::Attribution,
        crate::domain::inquiry::Flag,
        CreatedKey, KeyList, AccessLog, HealthAnswer, InquiryItem, InquiryDetail, ArticleView,
        RelatedItem, NotificationRow, EventRow, Note, ArticleSummary, Stats, DayCount, StatusCount,
        ArticleCount, SourceCount, KeyRow, AccessEntry, Page<InquiryItem>, Page<ArticleSummary>,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "public", description = "The website's form"),
        (name = "staff", description = "Sales staff (Bearer key; some endpoints admin only)"),
        (name = "operations", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: this document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(ApiDoc::openapi())
}

/// `GET /api/v1/docs/`: Swagger UI, served from files compiled into the binary (nothing is
/// fetched from the internet), reading `/api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/docs/{file}", tag = "operations",
    params(("file" = String, Path, description = "empty for the page itself")),
    responses(
        (status = 200, description = "The docs page or one of its files"),
        (status = 404, description = "No such file", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn docs(
    file: actix_web::web::Path<String>,
) -> Result<actix_web::HttpResponse, crate::error::ApiError> {
    use actix_web::http::header;
    let config = std::sync::Arc::new(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"]));
    match utoipa_swagger_ui::serve(&file, config) {
        Ok(Some(found)) => {
            let mut response = actix_web::HttpResponse::Ok();
            response.content_type(found.content_type);
            if found.gzpipped {
                response.insert_header((header::CONTENT_ENCODING, "gzip"));
            }
            Ok(response.body(found.bytes.into_owned()))
        }
        _ => Err(crate::error::ApiError::NotFound),
    }
}

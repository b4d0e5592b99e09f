//! `/api/v1/inquiries` for staff: list, detail, PATCH (status, assignee), notes, anonymise.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::auth::{AdminKey, SalesKey};
use super::body::{self, InquiryPatch, NoteRequest};
use super::filters::{self, encode_cursor};
use super::query_pairs;
use super::views::{InquiryDetail, InquiryItem, Page};
use crate::auth::Staff;
use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;
use crate::privacy;
use crate::state::AppState;
use crate::storage::listing::{self, Position};
use crate::storage::{keys, workflow};
use crate::workflow::{apply_change, Change};

type Answer = Result<HttpResponse, ApiError>;

/// The inquiry a path's `{id}` names: its own id, or the receipt of one of its repeats (the id
/// the public answer gave). `NotFound` for anything else.
async fn inquiry_id(state: &AppState, text: &str) -> Result<Uuid, ApiError> {
    let id = parse_id(text)?;
    state
        .db(listing::resolve(&state.pool, id))
        .await?
        .ok_or(ApiError::NotFound)
}

fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::NotFound)
}

/// `GET /api/v1/inquiries`: newest first, keyset pages, SPEC §4 filters.
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "staff", security(("bearer" = ["sales"])),
    params(crate::openapi::ListParams),
    responses(
        (status = 200, description = "Newest first", body = crate::routes::staff::views::Page<crate::routes::staff::views::InquiryItem>),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn list_inquiries(
    req: HttpRequest,
    SalesKey(staff): SalesKey,
    state: web::Data<AppState>,
) -> Answer {
    list(&req, &staff, &state).await
}

async fn list(
    req: &HttpRequest,
    staff: &Staff,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req)?;
    let query = filters::parse(&pairs).map_err(ApiError::Validation)?;
    let mut rows = state
        .db(listing::page(
            &state.pool,
            &query.filter,
            query.cursor,
            query.limit,
        ))
        .await?;
    let next_cursor = if rows.len() as i64 > query.limit {
        rows.truncate(query.limit as usize);
        rows.last().map(|r| {
            encode_cursor(Position {
                received_at: r.received_at,
                id: r.id,
            })
        })
    } else {
        None
    };
    let (mut details, search) = filters::audit_details(&pairs);
    details["rows"] = serde_json::json!(rows.len());
    state
        .db(keys::log_read(
            &state.pool,
            staff.key_id,
            &staff.name,
            if search { "search" } else { "list" },
            &details,
        ))
        .await?;
    let items: Vec<InquiryItem> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// Timeline events in one page of the detail (SPEC §4).
pub const TIMELINE_PAGE: i64 = 100;

/// Which part of the timeline a detail carries.
#[derive(Debug, Clone, Copy)]
pub struct TimelinePage {
    /// The page starts after this event (0: the first page).
    pub after: i64,
    pub limit: i64,
}

impl TimelinePage {
    pub const FIRST: Self = Self {
        after: 0,
        limit: TIMELINE_PAGE,
    };
    /// Every event at once (a data subject's export).
    pub const ALL: Self = Self {
        after: 0,
        limit: i32::MAX as i64,
    };
}

/// The detail of one inquiry, or `NotFound`.
pub async fn load_detail(
    state: &AppState,
    id: Uuid,
    page: TimelinePage,
) -> Result<InquiryDetail, ApiError> {
    let pool = &state.pool;
    let row = state
        .db(listing::get(pool, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let notifications = state.db(listing::notifications(pool, id)).await?;
    let timeline = state
        .db(listing::timeline(pool, id, page.after, page.limit))
        .await?;
    let related = match &row.phone {
        Some(phone) => {
            let here = Position {
                received_at: row.received_at,
                id: row.id,
            };
            state.db(listing::related(pool, phone, here)).await?
        }
        None => Vec::new(),
    };
    Ok(InquiryDetail::new(
        row,
        notifications,
        timeline,
        page.limit as usize,
        related,
    ))
}

fn detail_response(status: actix_web::http::StatusCode, detail: &InquiryDetail) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, detail.etag()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(detail)
}

/// `GET /api/v1/inquiries/{id}`; the read goes to the access log, not the timeline.
#[utoipa::path(get, path = "/api/v1/inquiries/{id}", tag = "staff", security(("bearer" = ["sales"])),
    params(("id" = uuid::Uuid, Path, description = "The inquiry's id, or a receipt id from the public answer (a repeat's)"),
        ("timeline_cursor" = Option<String>, Query, description = "`timeline_next_cursor` of the previous answer: the next 100 timeline events")),
    responses(
        (status = 200, description = "The inquiry, with ETag", body = crate::routes::staff::views::InquiryDetail),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::NotFound,
        crate::routes::problems::Invalid))]
pub async fn get_inquiry(
    req: HttpRequest,
    path: web::Path<String>,
    SalesKey(staff): SalesKey,
    state: web::Data<AppState>,
) -> Answer {
    let page = timeline_page(&query_pairs(&req)?)?;
    let id = inquiry_id(&state, &path).await?;
    let detail = load_detail(&state, id, page).await?;
    state
        .db(keys::log_access(
            &state.pool,
            staff.key_id,
            &staff.name,
            "read",
            Some(id),
        ))
        .await?;
    Ok(detail_response(actix_web::http::StatusCode::OK, &detail))
}

/// `timeline_cursor` (from `timeline_next_cursor`), the only parameter of the detail.
fn timeline_page(pairs: &[(String, String)]) -> Result<TimelinePage, ApiError> {
    let mut page = TimelinePage::FIRST;
    let mut errors = Vec::new();
    for (name, value) in pairs {
        match name.as_str() {
            "timeline_cursor" => match value.parse::<i64>() {
                Ok(after) if after >= 0 => page.after = after,
                _ => errors.push(FieldError::new(name.clone(), FieldCode::InvalidValue)),
            },
            _ => errors.push(FieldError::new(name.clone(), FieldCode::UnknownField)),
        }
    }
    if errors.is_empty() {
        Ok(page)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The version an `If-Match` header asks for: `None` for `*` or no header.
fn if_match_version(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::PreconditionFailed)?
        .trim();
    if text == "*" {
        return Ok(None);
    }
    let bare = text.trim_start_matches("W/").trim_matches('"');
    bare.parse::<i32>()
        .map(Some)
        .map_err(|_| ApiError::PreconditionFailed)
}

/// `PATCH /api/v1/inquiries/{id}`: status and assignee only.
#[utoipa::path(patch, path = "/api/v1/inquiries/{id}", tag = "staff", security(("bearer" = ["sales"])),
    params(("id" = uuid::Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read before")),
    request_body = InquiryPatch,
    responses(
        (status = 200, description = "The inquiry after the change, with its new ETag", body = crate::routes::staff::views::InquiryDetail),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::BodyProblems,
        crate::routes::problems::NotFound,
        crate::routes::problems::Conflict,
        crate::routes::problems::PreconditionFailed))]
pub async fn update_inquiry(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    SalesKey(staff): SalesKey,
    state: web::Data<AppState>,
) -> Answer {
    update(&req, &path, &body, &staff, &state).await
}

async fn update(
    req: &HttpRequest,
    id: &str,
    body: &[u8],
    staff: &Staff,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let id = inquiry_id(state, id).await?;
    let patch: InquiryPatch = body::read(req, body)?;
    let change = Change {
        status: patch.status,
        assignee: patch.assignee,
    };
    let expected = if_match_version(req)?;
    state
        .db(apply_change(
            &state.pool,
            &state.settings,
            id,
            &change,
            expected,
            &staff.name,
        ))
        .await?;
    let detail = load_detail(state, id, TimelinePage::FIRST).await?;
    Ok(detail_response(actix_web::http::StatusCode::OK, &detail))
}

/// `POST /api/v1/inquiries/{id}/notes`.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/notes", tag = "staff", security(("bearer" = ["sales"])),
    params(("id" = uuid::Uuid, Path)),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "The note", body = crate::storage::workflow::Note),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::BodyProblems,
        crate::routes::problems::NotFound))]
pub async fn add_note(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    SalesKey(staff): SalesKey,
    state: web::Data<AppState>,
) -> Answer {
    let id = inquiry_id(&state, &path).await?;
    let note: NoteRequest = body::read(&req, &body)?;
    let note = note.body.unwrap_or_default();
    let created = state
        .db(workflow::add_note(&state.pool, id, &staff.name, &note))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Created().json(created))
}

/// `DELETE /api/v1/inquiries/{id}` (admin): anonymise on a person's request.
#[utoipa::path(delete, path = "/api/v1/inquiries/{id}", tag = "staff", security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Personal data erased (admin)"),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::NotFound))]
pub async fn anonymise_inquiry(
    path: web::Path<String>,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Answer {
    let id = inquiry_id(&state, &path).await?;
    state
        .db(privacy::anonymise(&state.pool, &staff, id))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/api/v1/inquiries` for staff: list, detail, PATCH (status, assignee), notes, anonymise.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use uuid::Uuid;

use super::auth::{AdminKey, SalesKey};
use super::body::{self, InquiryPatch, NoteRequest};
use super::filters::{self, encode_cursor};
use super::query::{self, DetailParams, ListParams};
use super::views::{InquiryDetail, InquiryItem, Page};
use crate::auth::Staff;
use crate::error::ApiError;
use crate::privacy;
use crate::state::AppState;
use crate::storage::inquiries::{self, Position};
use crate::workflow::{self, Change, TimelinePage};

type Answer = Result<HttpResponse, ApiError>;

/// The inquiry a path's `{id}` names: its own id, or the receipt of one of its repeats (the id
/// the public answer gave). `NotFound` for anything else.
async fn inquiry_id(state: &AppState, text: &str) -> Result<Uuid, ApiError> {
    let id = parse_id(text)?;
    state
        .db(inquiries::resolve(&state.pool, id))
        .await?
        .ok_or(ApiError::NotFound)
}

fn parse_id(text: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(text).map_err(|_| ApiError::NotFound)
}

/// `GET /api/v1/inquiries`: newest first, keyset pages, SPEC §4 filters.
#[utoipa::path(get, path = "/api/v1/inquiries", tag = "staff", security(("bearer" = ["sales"])),
    params(ListParams),
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
    let (query, pairs) = query::read_pairs::<ListParams>(req)?;
    let limit = query.limit();
    let (details, search) = filters::audit_details(&pairs);
    let action = if search { "search" } else { "list" };
    let page = (&query.filter(), query.cursor, limit);
    let mut rows = state
        .db(privacy::read_page(
            &state.pool,
            staff,
            page,
            action,
            details,
        ))
        .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            encode_cursor(Position {
                received_at: r.received_at,
                id: r.id,
            })
        })
    } else {
        None
    };
    let items: Vec<InquiryItem> = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
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
        DetailParams),
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
    let params: DetailParams = query::read(&req)?;
    let page = TimelinePage {
        after: params.timeline_cursor.unwrap_or(0),
        ..TimelinePage::FIRST
    };
    let id = inquiry_id(&state, &path).await?;
    let detail = state
        .db(privacy::read(&state.pool, &staff, id, page))
        .await?
        .ok_or(ApiError::NotFound)?;
    let detail = InquiryDetail::new(detail, page.limit as usize);
    Ok(detail_response(actix_web::http::StatusCode::OK, &detail))
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
    let detail = state
        .db(workflow::change(
            &state.pool,
            &state.settings,
            id,
            &change,
            expected,
            &staff.name,
        ))
        .await?;
    let detail = InquiryDetail::new(detail, TimelinePage::FIRST.limit as usize);
    Ok(detail_response(actix_web::http::StatusCode::OK, &detail))
}

/// `POST /api/v1/inquiries/{id}/notes`.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/notes", tag = "staff", security(("bearer" = ["sales"])),
    params(("id" = uuid::Uuid, Path)),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "The note", body = crate::routes::staff::views::NoteView),
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
    Ok(HttpResponse::Created().json(super::views::NoteView::from(created)))
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

/// `POST /api/v1/inquiries/{id}/notifications/{notification_id}/retry` (admin): sends a dead
/// notification again (SPEC §6) with a fresh set of attempts; 409 `not_retryable` unless it
/// is dead.
#[utoipa::path(post, path = "/api/v1/inquiries/{id}/notifications/{notification_id}/retry",
    tag = "staff", security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path), ("notification_id" = uuid::Uuid, Path)),
    responses(
        (status = 202, description = "Due again now (admin)", body = crate::routes::staff::views::NotificationView),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::NotFound,
        crate::routes::problems::Conflict))]
pub async fn retry_notification(
    path: web::Path<(String, String)>,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Answer {
    let (id, notification) = path.into_inner();
    let id = inquiry_id(&state, &id).await?;
    let notification = parse_id(&notification)?;
    match state
        .db(workflow::retry_notification(
            &state.pool,
            &staff,
            id,
            notification,
        ))
        .await?
    {
        None => Err(ApiError::NotFound),
        Some(Err(state)) => Err(ApiError::NotRetryable { state }),
        Some(Ok(row)) => {
            Ok(HttpResponse::Accepted().json(super::views::NotificationView::from(row)))
        }
    }
}

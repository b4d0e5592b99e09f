//! `/api/v1/keys` (admin): create, list and revoke staff keys; `/api/v1/access-log` (admin).

use super::views::{AccessLog, CreatedKey, KeyList};
use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::AdminKey;
use super::body::{self, KeyRequest};
use super::query::{self, AccessLogParams};
use crate::error::ApiError;
use crate::keys;
use crate::state::AppState;

type Answer = Result<HttpResponse, ApiError>;

#[utoipa::path(post, path = "/api/v1/keys", tag = "staff", security(("bearer" = ["admin"])),
    request_body = KeyRequest,
    responses(
        (status = 201, description = "The new key, shown once (admin)", body = crate::routes::staff::views::CreatedKey),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::BodyProblems))]
pub async fn create_key(
    req: HttpRequest,
    body: web::Bytes,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Answer {
    let request: KeyRequest = body::read(&req, &body)?;
    let (Some(name), Some(role)) = (request.name, request.role) else {
        // Both are required: the validation has refused a request without them.
        return Err(ApiError::MalformedBody);
    };
    let (row, key) = state
        .db(keys::create(&state.pool, Some(&staff), &name, role))
        .await?;
    Ok(HttpResponse::Created().json(CreatedKey {
        key_row: row.into(),
        key,
    }))
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "staff", security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every key (admin)", body = crate::routes::staff::views::KeyList),
        crate::routes::problems::StaffProblems))]
pub async fn list_keys(req: HttpRequest, _: AdminKey, state: web::Data<AppState>) -> Answer {
    let query::NoParams {} = query::read(&req)?;
    let rows = state.db(keys::list(&state.pool)).await?;
    let items = rows.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(KeyList { items }))
}

#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "staff", security(("bearer" = ["admin"])),
    params(("id" = uuid::Uuid, Path)),
    responses(
        (status = 204, description = "Revoked (admin)"),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::NotFound))]
pub async fn revoke_key(
    path: web::Path<String>,
    AdminKey(staff): AdminKey,
    state: web::Data<AppState>,
) -> Answer {
    let id = uuid::Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    state
        .db(keys::revoke(&state.pool, Some(&staff), &id.to_string()))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/access-log?inquiry_id&limit` (admin): who read or exported what, newest first.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "staff", security(("bearer" = ["admin"])),
    params(AccessLogParams),
    responses(
        (status = 200, description = "Who read or exported what, newest first (admin)", body = crate::routes::staff::views::AccessLog),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn access_log(req: HttpRequest, _: AdminKey, state: web::Data<AppState>) -> Answer {
    let AccessLogParams { inquiry_id, limit } = query::read(&req)?;
    let limit = limit.unwrap_or(100);
    let entries = state
        .db(keys::access_log(&state.pool, inquiry_id, limit))
        .await?;
    let items = entries.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(AccessLog { items }))
}

//! `/api/v1/keys` (admin): create, list and revoke staff keys; `/api/v1/access-log` (admin).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::AdminKey;
use super::body::{self, KeyRequest};
use super::query_pairs;
use crate::auth::{self};
use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::keys;

type Answer = Result<HttpResponse, ApiError>;

#[utoipa::path(post, path = "/api/v1/keys", tag = "staff", security(("bearer" = ["admin"])),
    request_body = KeyRequest,
    responses(
        (status = 201, description = "The new key, shown once (admin)", body = crate::openapi::CreatedKey),
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
    let (row, key) = state.db(auth::create_key(&state.pool, &name, role)).await?;
    state
        .db(keys::log_access(
            &state.pool,
            staff.key_id,
            &staff.name,
            "create_key",
            None,
        ))
        .await?;
    let mut answer = serde_json::to_value(&row).map_err(|e| ApiError::Internal(e.into()))?;
    answer["key"] = json!(key);
    Ok(HttpResponse::Created().json(answer))
}

#[utoipa::path(get, path = "/api/v1/keys", tag = "staff", security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every key (admin)", body = crate::openapi::KeyList),
        crate::routes::problems::StaffProblems))]
pub async fn list_keys(_: AdminKey, state: web::Data<AppState>) -> Answer {
    let items = state.db(keys::list(&state.pool)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
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
        .db(keys::revoke(&state.pool, &id.to_string()))
        .await?
        .ok_or(ApiError::NotFound)?;
    state
        .db(keys::log_access(
            &state.pool,
            staff.key_id,
            &staff.name,
            "revoke_key",
            None,
        ))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/v1/access-log?inquiry_id&limit` (admin): who read or exported what, newest first.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "staff", security(("bearer" = ["admin"])),
    params(crate::openapi::AccessLogParams),
    responses(
        (status = 200, description = "Who read or exported what, newest first (admin)", body = crate::openapi::AccessLog),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn access_log(req: HttpRequest, _: AdminKey, state: web::Data<AppState>) -> Answer {
    let mut inquiry_id = None;
    let mut limit = 100i64;
    for (name, value) in query_pairs(&req)? {
        match name.as_str() {
            "inquiry_id" => {
                inquiry_id = Some(uuid::Uuid::parse_str(&value).map_err(|_| {
                    ApiError::Validation(vec![FieldError::new(
                        "inquiry_id",
                        FieldCode::InvalidValue,
                    )])
                })?)
            }
            "limit" => {
                limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        ApiError::Validation(vec![FieldError::new(
                            "limit",
                            FieldCode::InvalidValue,
                        )])
                    })?
            }
            _ => {}
        }
    }
    let items = state
        .db(keys::access_entries(&state.pool, inquiry_id, limit))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

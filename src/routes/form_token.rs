//! `GET /api/v1/form-token`: a signed timestamp for the form's `_ts` field.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::domain::form_token;
use crate::error::ApiError;
use crate::state::AppState;

/// A fresh form token.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FormToken {
    /// Put it in the form's `_ts` field.
    pub token: String,
}

#[utoipa::path(get, path = "/api/v1/form-token", tag = "public",
    responses(
        (status = 200, description = "A fresh token", body = FormToken),
        (status = 503, description = "Database unreachable (Retry-After)", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_form_token(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let key = state.form_token_key().await?;
    let token = form_token::issue(key, now_millis());
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(FormToken { token }))
}

pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

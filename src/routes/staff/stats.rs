//! `GET /api/v1/stats?from&to`: counts over a range (default: the last 30 days).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};

use super::auth::SalesKey;
use super::{params, query_pairs};
use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::stats;

#[utoipa::path(get, path = "/api/v1/stats", tag = "staff", security(("bearer" = ["sales"])),
    params(crate::openapi::StatsParams),
    responses(
        (status = 200, description = "Counts over the range", body = crate::storage::stats::Stats),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn get_stats(
    req: HttpRequest,
    _: SalesKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut from = None;
    let mut to = None;
    let mut errors = Vec::new();
    for (name, value) in query_pairs(&req)? {
        let slot = match name.as_str() {
            "from" => &mut from,
            "to" => &mut to,
            _ => continue,
        };
        match params::timestamp(&name, &value) {
            Ok(t) => *slot = Some(t),
            Err(e) => errors.push(e),
        }
    }
    let to = to.unwrap_or_else(Utc::now);
    let from = from.unwrap_or(to - Duration::days(30));
    if errors.is_empty() && from >= to {
        errors.push(FieldError::new("from", FieldCode::InvalidValue));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(HttpResponse::Ok().json(state.db(stats::stats(&state.pool, from, to)).await?))
}

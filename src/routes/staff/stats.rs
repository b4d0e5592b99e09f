//! `GET /api/v1/stats?from&to`: counts over a range (default: the last 30 days).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};

use super::auth::SalesKey;
use super::query::{self, StatsParams};
use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::stats;

#[utoipa::path(get, path = "/api/v1/stats", tag = "staff", security(("bearer" = ["sales"])),
    params(StatsParams),
    responses(
        (status = 200, description = "Counts over the range", body = crate::routes::staff::views::StatsView),
        crate::routes::problems::StaffProblems,
        crate::routes::problems::Malformed,
        crate::routes::problems::Invalid))]
pub async fn get_stats(
    req: HttpRequest,
    _: SalesKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let range: StatsParams = query::read(&req)?;
    let to = range.to.unwrap_or_else(Utc::now);
    let from = range.from.unwrap_or(to - Duration::days(30));
    if from >= to {
        return Err(ApiError::Validation(vec![FieldError::new(
            "from",
            FieldCode::InvalidValue,
        )]));
    }
    let stats = state.db(stats::stats(&state.pool, from, to)).await?;
    Ok(HttpResponse::Ok().json(super::views::StatsView::from(stats)))
}

//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::state::AppState;

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = crate::openapi::HealthAnswer)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers and every migration of this build is applied.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Database reachable, migrations applied", body = crate::openapi::HealthAnswer),
        (status = 503, description = "Not ready", body = crate::openapi::HealthAnswer)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = tokio::time::timeout(
        state.db_deadline,
        crate::storage::connection::migrations_applied(&state.pool),
    );
    match check.await {
        Ok(Ok(true)) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Ok(Ok(false)) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "not_ready", "reason": "migrations_pending"})),
        Ok(Err(_)) | Err(_) => HttpResponse::ServiceUnavailable()
            .insert_header(crate::error::retry_after(
                crate::error::RETRY_AFTER_UNAVAILABLE,
            ))
            .json(json!({"status": "not_ready", "reason": "database_unreachable"})),
    }
}

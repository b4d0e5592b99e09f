//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::state::AppState;

/// The answer of `/healthz` and `/readyz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthAnswer {
    /// `ok` (alive), `ready` or `not_ready`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// Why not ready: `migrations_pending` or `database_unreachable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub reason: Option<&'static str>,
}

fn answer(status: &'static str, reason: Option<&'static str>) -> HealthAnswer {
    HealthAnswer { status, reason }
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = HealthAnswer)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(answer("ok", None))
}

/// The database answers and every migration of this build is applied.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Database reachable, migrations applied", body = HealthAnswer),
        (status = 503, description = "Not ready", body = HealthAnswer)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = tokio::time::timeout(
        state.db_deadline,
        crate::storage::connection::migrations_applied(&state.pool),
    );
    match check.await {
        Ok(Ok(true)) => HttpResponse::Ok().json(answer("ready", None)),
        Ok(Ok(false)) => {
            HttpResponse::ServiceUnavailable().json(answer("not_ready", Some("migrations_pending")))
        }
        Ok(Err(_)) | Err(_) => HttpResponse::ServiceUnavailable()
            .insert_header(crate::error::retry_after(
                crate::error::RETRY_AFTER_UNAVAILABLE,
            ))
            .json(answer("not_ready", Some("database_unreachable"))),
    }
}

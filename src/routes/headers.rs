//! Response headers by path, and which listener serves what.
//!
//! - Every `/api/v1` answer carries `Cache-Control: no-store` (SPEC §4): staff JSON holds
//!   personal data that no browser or proxy cache may keep; the public answers are per request.
//! - The docs page (`/api/v1/docs/`, Swagger UI) gets a Content-Security-Policy that allows only
//!   its own files (Swagger UI sets inline styles, and draws icons from `data:` URLs) and may not
//!   be framed (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers).
//! - With `server.metrics_address` set, `/metrics` is served only on that listener, and that
//!   listener serves nothing else.

use std::net::SocketAddr;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::{ApiError, Lang};

/// The address of the metrics listener, when `server.metrics_address` is set (as bound: a
/// configured port 0 is the port picked).
#[derive(Debug, Clone, Copy)]
pub struct MetricsListener(pub SocketAddr);

const METRICS_PATH: &str = "/metrics";

/// Adds the headers above, keeps `/metrics` and the other routes on their own listeners, and
/// puts request bodies under `server.body_timeout` (`routes::body_deadline`): one middleware
/// layer for the three, as each layer costs every request.
pub async fn by_path(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<EitherBody<impl MessageBody>>>, actix_web::Error> {
    if let Some(metrics) = req.app_data::<web::Data<MetricsListener>>() {
        let on_metrics_listener = req.app_config().local_addr() == metrics.0;
        if on_metrics_listener != (req.path() == METRICS_PATH) {
            let response = ApiError::NotFound.to_response(Lang::from_request(req.request()));
            return Ok(req.into_response(response).map_into_right_body());
        }
    }
    let docs = req.path().starts_with("/api/v1/docs/");
    let api = req.path().starts_with("/api/v1/");
    let deadline = super::body_deadline::arm(&mut req);
    let mut res = super::body_deadline::settle(next.call(req).await?, deadline.as_ref());
    let headers = res.headers_mut();
    if docs {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(super::pages::PageKind::Docs.csp()),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    } else if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res.map_into_left_body())
}

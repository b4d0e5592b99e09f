//! The staff API (SPEC §4): bearer keys with roles, the lead list and detail, workflow, notes,
//! export, articles, stats, keys.

pub mod articles;
pub mod auth;
pub mod body;
pub mod cells;
pub mod export;
pub mod filters;
pub mod inquiries;
pub mod keys;
pub mod params;
pub mod privacy;
pub mod query;
pub mod stats;
pub mod views;

use actix_web::http::header;
use actix_web::HttpRequest;

use crate::domain::field::{FieldCode, FieldError};
use crate::error::ApiError;

/// Reads a JSON object body of a staff request: 415 unless JSON, 400 unless an object, 422 for
/// fields outside `allowed` (no field can be mass-assigned) and for fields holding U+0000,
/// which PostgreSQL cannot store ([`params::nul_fields`]).
pub fn json_object(
    req: &HttpRequest,
    body: &[u8],
    allowed: &[&str],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType { json_only: true });
    }
    let object = match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => return Err(ApiError::MalformedBody),
    };
    let mut errors: Vec<FieldError> = object
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| FieldError::new(k.clone(), FieldCode::UnknownField))
        .collect();
    if errors.is_empty() {
        errors = params::nul_fields(&object);
    }
    if errors.is_empty() {
        Ok(object)
    } else {
        Err(ApiError::Validation(errors))
    }
}

//! The problem responses of the API, declared once for the OpenAPI document: each route lists
//! the ones it can answer (`responses(…, StaffProblems, NotFound, Invalid)`), and the document
//! describes each the same way everywhere. The bodies are `error::Problem` (RFC 9457).

use utoipa::IntoResponses;

use crate::error::Problem;

/// What every staff route can answer besides its own result: the key and the database.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum StaffProblems {
    /// Missing or invalid key
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The key's role may not do this
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Too many failed authentications from this client (Retry-After)
    #[response(status = 429, content_type = "application/problem+json")]
    Throttled(Problem),
    /// Database unreachable (Retry-After)
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(Problem),
}

/// What a route that reads a JSON body can answer about it.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum BodyProblems {
    /// Malformed body: not JSON, or not an object
    #[response(status = 400, content_type = "application/problem+json")]
    Malformed(Problem),
    /// The body did not arrive within server.body_timeout
    #[response(status = 408, content_type = "application/problem+json")]
    Timeout(Problem),
    /// Unsupported content type (application/json only)
    #[response(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Problem),
    /// Invalid fields (every one listed)
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// Malformed body or query
#[derive(IntoResponses)]
#[response(status = 400, content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct Malformed(Problem);

/// No such resource
#[derive(IntoResponses)]
#[response(status = 404, content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct NotFound(Problem);

/// The change conflicts with the resource's state (a status move the workflow does not allow)
#[derive(IntoResponses)]
#[response(status = 409, content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct Conflict(Problem);

/// If-Match does not match
#[derive(IntoResponses)]
#[response(status = 412, content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct PreconditionFailed(Problem);

/// Invalid fields or parameters (every one listed)
#[derive(IntoResponses)]
#[response(status = 422, content_type = "application/problem+json")]
#[allow(dead_code)]
pub struct Invalid(Problem);

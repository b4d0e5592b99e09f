//! `Authorization: Bearer idk_…` → the calling staff member; 401 without a valid key, 403 when
//! the key's role may not do what is asked.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::{self, Role, Staff};
use crate::error::{ApiError, Lang, Localised};
use crate::startup::AppState;

impl FromRequest for Staff {
    type Error = Localised;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let lang = Lang::from_request(&req);
            let fail = |e: ApiError| e.in_lang(lang);
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| fail(ApiError::Internal(anyhow::anyhow!("no app state"))))?;
            // Throttled clients are refused before their key is looked at (SPEC §4).
            let client = crate::routes::client::client_ip(&req, &state.settings.server)
                .map(crate::routes::client::client_key);
            if let Some(client) = client {
                state
                    .auth_failures
                    .check(client)
                    .map_err(|retry_after| fail(ApiError::AuthThrottled { retry_after }))?;
            }
            let failed = || {
                if let Some(client) = client {
                    state.auth_failures.failed(client);
                }
                fail(ApiError::Unauthorized)
            };
            let key = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(failed)?;
            match state
                .db(auth::authenticate(&state.pool, key))
                .await
                .map_err(fail)?
            {
                Some(staff) => Ok(staff),
                None => Err(failed()),
            }
        })
    }
}

/// 403 unless the key's role allows `required`.
pub fn require(staff: &Staff, required: Role) -> Result<(), ApiError> {
    if staff.role.allows(required) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

//! `Authorization: Bearer idk_…` → the calling staff member; 401 without a valid key, 403 when
//! the key's role may not do what is asked. A handler names the role it needs in its signature
//! ([`SalesKey`], [`AdminKey`]), and the OpenAPI document says it beside the route.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use crate::auth::{self, Role, Staff};
use crate::error::ApiError;
use crate::state::AppState;

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
            // Throttled clients are refused before their key is looked at (SPEC §4).
            let client = crate::routes::client::client_ip(&req, &state.settings.server)
                .map(crate::routes::client::client_key);
            if let Some(client) = client {
                state
                    .auth_failures
                    .check(client)
                    .map_err(|retry_after| ApiError::AuthThrottled { retry_after })?;
            }
            let failed = || {
                if let Some(client) = client {
                    state.auth_failures.failed(client);
                }
                ApiError::Unauthorized
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
            match state.db_own(auth::authenticate(&state.pool, key)).await? {
                Some(staff) => Ok(staff),
                None => Err(failed()),
            }
        })
    }
}

/// Declares an extractor for the staff members whose role allows `$role`.
macro_rules! role_key {
    ($(#[$meta:meta])* $name:ident, $role:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Staff);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let staff = Staff::from_request(req, payload);
                Box::pin(async move {
                    let staff = staff.await?;
                    if staff.role.allows($role) {
                        Ok($name(staff))
                    } else {
                        Err(ApiError::Forbidden)
                    }
                })
            }
        }
    };
}

role_key!(
    /// A key whose role may work leads (`sales` or `admin`): 401 without one, 403 never.
    SalesKey,
    Role::Sales
);
role_key!(
    /// An `admin` key: 401 without a valid key, 403 for a `sales` one.
    AdminKey,
    Role::Admin
);

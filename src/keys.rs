//! Staff keys as a capability (SPEC §4, admin): creating, listing and revoking keys, and
//! reading the access log. A change made through the API is recorded in the access log in the
//! same transaction as the change itself (`by`: the admin's key); the command line's changes
//! (`inquiry-desk keys …`, run by whoever runs the server) pass `None`.

use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::{hash, prefix_of, Staff, KEY_PREFIX, SECRET_HEX_CHARS};
use crate::domain::role::Role;
use crate::storage::access_log::{self, AccessEntry};
use crate::storage::api_keys::{self, KeyRow};

/// Creates a key named `name` with `role`; returns its row and the key itself, which is shown
/// once and never stored (only its SHA-256). Errors: the database's.
pub async fn create(
    pool: &PgPool,
    by: Option<&Staff>,
    name: &str,
    role: Role,
) -> Result<(KeyRow, String), sqlx::Error> {
    loop {
        let mut secret = [0u8; SECRET_HEX_CHARS / 2];
        rand::rng().fill_bytes(&mut secret);
        let key = format!("{KEY_PREFIX}{}", hex::encode(secret));
        let prefix = prefix_of(&key).unwrap_or_default().to_string();
        let mut tx = pool.begin().await?;
        match api_keys::insert(&mut *tx, Uuid::now_v7(), name, role, &prefix, &hash(&key)).await {
            Ok(row) => {
                if let Some(by) = by {
                    access_log::log_access(&mut *tx, by.key_id, &by.name, "create_key", None)
                        .await?;
                }
                tx.commit().await?;
                return Ok((row, key));
            }
            // Two keys sharing the 8-character prefix: draw again (the transaction is dropped,
            // so rolled back).
            Err(sqlx::Error::Database(e)) if e.constraint() == Some("api_keys_prefix_key") => {
                continue
            }
            Err(e) => return Err(e),
        }
    }
}

/// Revokes the key with this id or prefix (a revoked key stays revoked); `None` when there is
/// no such key.
pub async fn revoke(
    pool: &PgPool,
    by: Option<&Staff>,
    id_or_prefix: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let row = api_keys::revoke(&mut *tx, id_or_prefix).await?;
    if let (Some(by), Some(_)) = (by, &row) {
        access_log::log_access(&mut *tx, by.key_id, &by.name, "revoke_key", None).await?;
    }
    tx.commit().await?;
    Ok(row)
}

/// Every key, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<KeyRow>, sqlx::Error> {
    api_keys::list(pool).await
}

/// The access log, newest first: at most `limit` entries, about one inquiry or all.
pub async fn access_log(
    pool: &PgPool,
    inquiry_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AccessEntry>, sqlx::Error> {
    access_log::access_entries(pool, inquiry_id, limit).await
}

//! The `api_keys` table: staff keys' rows (hashes only) and their use.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::role::Role;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Inserts a key's row (its hash, never the key). Errors: the unique violation
/// `api_keys_prefix_key` when another key has the same prefix.
pub async fn insert(
    pool: impl sqlx::PgExecutor<'_>,
    id: Uuid,
    name: &str,
    role: Role,
    prefix: &str,
    key_hash: &[u8],
) -> Result<KeyRow, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO api_keys (id, name, role, prefix, key_hash) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at",
    )
    .bind(id)
    .bind(name)
    .bind(role)
    .bind(prefix)
    .bind(key_hash)
    .fetch_one(pool)
    .await
}

pub async fn list(pool: &PgPool) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at
           FROM api_keys ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
}

/// Revokes by id or prefix (a revoked key keeps its first `revoked_at`); the key's row, or
/// `None` when no key has that id or prefix.
pub async fn revoke(
    pool: impl sqlx::PgExecutor<'_>,
    id_or_prefix: &str,
) -> Result<Option<KeyRow>, sqlx::Error> {
    let id = Uuid::parse_str(id_or_prefix).ok();
    sqlx::query_as(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
          WHERE id = $1 OR prefix = $2
      RETURNING id, name, role, prefix, created_at, last_used_at, revoked_at",
    )
    .bind(id)
    .bind(id_or_prefix)
    .fetch_optional(pool)
    .await
}

/// An active key with this prefix: (id, name, role, stored hash).
pub async fn find_active(
    pool: &PgPool,
    prefix: &str,
) -> Result<Option<(Uuid, String, Role, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, role, key_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL",
    )
    .bind(prefix)
    .fetch_optional(pool)
    .await
}

/// Records use, at most once a minute per key (one write per request would be wasteful).
pub async fn touch(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = now()
          WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

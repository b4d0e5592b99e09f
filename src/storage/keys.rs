//! Staff API keys: stored as SHA-256 hashes, found by their public prefix.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::role::Role;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct KeyRow {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn insert(
    pool: &PgPool,
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

/// Revokes by id or prefix; returns whether a key was active and is now revoked.
pub async fn revoke(pool: &PgPool, id_or_prefix: &str) -> Result<Option<KeyRow>, sqlx::Error> {
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

/// Records a staff read of one inquiry (or another admin action) in the access log.
pub async fn log_access(
    pool: impl sqlx::PgExecutor<'_>,
    key_id: Uuid,
    key_name: &str,
    action: &str,
    inquiry_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO access_log (key_id, key_name, action, inquiry_id) VALUES ($1, $2, $3, $4)",
    )
    .bind(key_id)
    .bind(key_name)
    .bind(action)
    .bind(inquiry_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// An access-log entry of a list, search or export read: what was asked (`details`:
/// `{"filters": {...}}`, personal values masked); returns its id, for [`set_access_rows`].
pub async fn log_read(
    pool: &PgPool,
    key_id: Uuid,
    key_name: &str,
    action: &str,
    details: &serde_json::Value,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO access_log (key_id, key_name, action, details) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(key_id)
    .bind(key_name)
    .bind(action)
    .bind(details)
    .fetch_one(pool)
    .await
}

/// Records how many rows a read answered (an export knows it only at its end).
pub async fn set_access_rows(pool: &PgPool, entry: i64, rows: u64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE access_log SET details = coalesce(details, '{}') || jsonb_build_object('rows', $2::int8)
          WHERE id = $1",
    )
    .bind(entry)
    .bind(rows as i64)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AccessEntry {
    pub key_name: String,
    pub action: String,
    pub inquiry_id: Option<Uuid>,
    /// For list, search and export reads: `{"filters": {...}, "rows": n}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The access log, newest first, optionally for one inquiry.
pub async fn access_entries(
    pool: &PgPool,
    inquiry_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AccessEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT key_name, action, inquiry_id, details, at FROM access_log
          WHERE $1::uuid IS NULL OR inquiry_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(inquiry_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

//! The `access_log` table: who read, exported or changed what (SPEC §4).

use sqlx::PgPool;
use uuid::Uuid;

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

#[derive(Debug, sqlx::FromRow)]
pub struct AccessEntry {
    pub key_name: String,
    pub action: String,
    pub inquiry_id: Option<Uuid>,
    /// For list, search and export reads: `{"filters": {...}, "rows": n}`.
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

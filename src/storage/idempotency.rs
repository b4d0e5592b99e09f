//! Idempotency-Key records: claim a key, store the answer with the inquiry, replay it.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// How long a completed answer is replayed.
const REPLAY_WINDOW_SECS: f64 = 24.0 * 3600.0;
/// A claim without an answer this old belongs to a request that died (every request gives up
/// long before): the same body may take it over.
const ABANDONED_AFTER_SECS: f64 = 60.0;

/// The first answer given for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours: go on, and complete or release it.
    Claimed,
    /// The same key and body were answered before: replay.
    Replay(StoredAnswer),
    /// The key was used with another body.
    Reused,
    /// The key's first request is still running.
    InUse,
}

/// Claims `key` within `scope` (the client's address, [`crate::routes::client::client_key`]):
/// keys of different clients never meet, so nobody can block another visitor's post by reusing
/// its key (SPEC §2).
pub async fn claim(
    pool: &PgPool,
    scope: &str,
    key: &str,
    request_hash: &[u8],
) -> Result<Claim, sqlx::Error> {
    let claimed: Option<bool> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys AS k (key, request_hash, scope) VALUES ($1, $2, $5)
         ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
            SET request_hash = EXCLUDED.request_hash, created_at = now(), inquiry_id = NULL,
                response_status = NULL, response_body = NULL, completed_at = NULL
          WHERE k.created_at < now() - make_interval(secs => $3)
             OR (k.completed_at IS NULL AND k.request_hash = EXCLUDED.request_hash
                 AND k.created_at < now() - make_interval(secs => $4))
         RETURNING true",
    )
    .bind(key)
    .bind(request_hash)
    .bind(REPLAY_WINDOW_SECS)
    .bind(ABANDONED_AFTER_SECS)
    .bind(scope)
    .fetch_optional(pool)
    .await?;
    if claimed.is_some() {
        return Ok(Claim::Claimed);
    }
    let row: Option<(Vec<u8>, Option<i16>, Option<serde_json::Value>)> = sqlx::query_as(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys
          WHERE scope = $2 AND key = $1",
    )
    .bind(key)
    .bind(scope)
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        // Released between the two statements: a retry will claim it.
        None => Claim::InUse,
        Some((hash, _, _)) if hash != request_hash => Claim::Reused,
        Some((_, Some(status), Some(body))) => Claim::Replay(StoredAnswer {
            status: status as u16,
            body,
        }),
        Some(_) => Claim::InUse,
    })
}

/// Stores the answer, in the transaction that stores the inquiry.
pub async fn complete(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    inquiry_id: Uuid,
    answer: &StoredAnswer,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys
            SET inquiry_id = $2, response_status = $3, response_body = $4, completed_at = now()
          WHERE scope = $5 AND key = $1",
    )
    .bind(key)
    .bind(inquiry_id)
    .bind(answer.status as i16)
    .bind(&answer.body)
    .bind(scope)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives a claimed key up after an error: errors are not stored.
pub async fn release(pool: &PgPool, scope: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM idempotency_keys WHERE scope = $2 AND key = $1 AND completed_at IS NULL",
    )
    .bind(key)
    .bind(scope)
    .execute(pool)
    .await?;
    Ok(())
}

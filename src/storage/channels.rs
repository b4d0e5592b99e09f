//! The `channel_requests` and `channel_pauses` tables: a channel's rate limit and its pause after
//! a throttling answer, kept in PostgreSQL so that every instance respects them together
//! (SPEC §6).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// The window a channel's `rate_per_minute` counts over.
const WINDOW_SECS: f64 = 60.0;

/// Takes `requests` of the channel's `rate` requests per 60 seconds, or says when there is room:
/// `Ok(None)` when they are taken (recorded, so every instance counts them), `Ok(Some(at))` when
/// the window is full until `at`. Under a transaction-scoped advisory lock on the channel, so
/// two instances never both take the last slot. Also the paused channel: `Some(until)`.
pub async fn take_requests(
    pool: &PgPool,
    channel: &str,
    rate: Option<u32>,
    requests: u32,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('channel:' || $1))")
        .bind(channel)
        .execute(&mut *tx)
        .await?;
    let paused: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT until FROM channel_pauses WHERE channel = $1 AND until > now()")
            .bind(channel)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(until) = paused {
        return Ok(Some(until));
    }
    if let Some(rate) = rate {
        sqlx::query(
            "DELETE FROM channel_requests
              WHERE channel = $1 AND at <= now() - make_interval(secs => $2)",
        )
        .bind(channel)
        .bind(WINDOW_SECS)
        .execute(&mut *tx)
        .await?;
        // The window's requests, oldest first: with `requests` more the rate would be passed
        // until the one that must leave the window has left it.
        let times: Vec<DateTime<Utc>> =
            sqlx::query_scalar("SELECT at FROM channel_requests WHERE channel = $1 ORDER BY at")
                .bind(channel)
                .fetch_all(&mut *tx)
                .await?;
        let over = (times.len() + requests as usize).saturating_sub(rate as usize);
        if over > 0 {
            let leaves = times.get(over - 1).copied().unwrap_or_else(Utc::now)
                + chrono::Duration::milliseconds((WINDOW_SECS * 1000.0) as i64);
            return Ok(Some(leaves));
        }
    }
    sqlx::query("INSERT INTO channel_requests (channel) SELECT $1 FROM generate_series(1, $2)")
        .bind(channel)
        .bind(requests as i32)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(None)
}

/// The platform throttled the channel: it sends nothing for `pause`. Returns until when.
pub async fn pause(
    pool: &PgPool,
    channel: &str,
    pause: Duration,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO channel_pauses (channel, until)
         VALUES ($1, now() + make_interval(secs => $2))
         ON CONFLICT (channel) DO UPDATE SET until = greatest(channel_pauses.until, EXCLUDED.until)
         RETURNING until",
    )
    .bind(channel)
    .bind(pause.as_secs_f64())
    .fetch_one(pool)
    .await
}

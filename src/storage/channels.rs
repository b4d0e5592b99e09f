//! The `channel_requests` and `channel_pauses` tables: a channel's rate limits and its pause
//! after a throttling answer, kept in PostgreSQL so that every instance respects them together
//! (SPEC §6).

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// The minute a channel's `rate_per_minute` counts over, in seconds, with one second of margin:
/// a request is counted when it is taken, before it travels to the platform, whose clock
/// starts at its arrival; counting over 61 seconds keeps any 60 seconds the platform sees
/// within the rate. Older requests are deleted.
const MINUTE_SECS: i64 = 61;

/// A channel's limits: requests in any 60 seconds, and in any second (Feishu's 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub per_minute: Option<u32>,
    pub per_second: Option<u32>,
}

impl Limits {
    /// Each limit with its window, in milliseconds.
    fn windows(self) -> impl Iterator<Item = (u32, i64)> {
        [
            self.per_minute.map(|l| (l, MINUTE_SECS * 1000)),
            // With a tenth of a second of margin, as the minute has a second.
            self.per_second.map(|l| (l, 1100)),
        ]
        .into_iter()
        .flatten()
    }
}

/// What the channel's windows hold now.
struct Windows {
    now: DateTime<Utc>,
    /// The requests of the last 61 seconds, oldest first.
    times: Vec<DateTime<Utc>>,
    /// Until when the channel is paused, if it is.
    paused: Option<DateTime<Utc>>,
}

impl Windows {
    /// Reads them (and forgets requests older than the longest window). Under the channel's
    /// advisory lock when `conn` is in a transaction that took it.
    async fn read(conn: &mut PgConnection, channel: &str) -> Result<Self, sqlx::Error> {
        // `clock_timestamp()`, not `now()`: the transaction's start is before the wait for the
        // channel's lock, which would eat the window's margin.
        let (now, paused): (DateTime<Utc>, Option<DateTime<Utc>>) = sqlx::query_as(
            "SELECT clock_timestamp(),
                    (SELECT until FROM channel_pauses
                      WHERE channel = $1 AND until > clock_timestamp())",
        )
        .bind(channel)
        .fetch_one(&mut *conn)
        .await?;
        sqlx::query(
            "DELETE FROM channel_requests
              WHERE channel = $1 AND at <= clock_timestamp() - make_interval(secs => $2)",
        )
        .bind(channel)
        .bind(MINUTE_SECS as f64)
        .execute(&mut *conn)
        .await?;
        let times =
            sqlx::query_scalar("SELECT at FROM channel_requests WHERE channel = $1 ORDER BY at")
                .bind(channel)
                .fetch_all(&mut *conn)
                .await?;
        Ok(Self { now, times, paused })
    }

    /// Requests made within the last `window_ms` milliseconds, oldest first.
    fn within(&self, window_ms: i64) -> &[DateTime<Utc>] {
        let since = self.now - chrono::Duration::milliseconds(window_ms);
        let first = self.times.partition_point(|t| *t <= since);
        &self.times[first..]
    }

    /// When `requests` more would pass no limit: `None` now, or the instant the request that
    /// must leave a window has left it (the later of the limits').
    fn room_at(&self, limits: Limits, requests: u32) -> Option<DateTime<Utc>> {
        if let Some(until) = self.paused {
            return Some(until);
        }
        limits
            .windows()
            .filter_map(|(limit, window_ms)| {
                let times = self.within(window_ms);
                let over = (times.len() + requests as usize).saturating_sub(limit as usize);
                (over > 0).then(|| {
                    // More than a whole window asked at once: room when the window is empty.
                    let leaving = times.get(over - 1).or(times.last()).copied();
                    leaving.unwrap_or(self.now) + chrono::Duration::milliseconds(window_ms)
                })
            })
            .max()
    }

    /// How many requests the minute's limit has room for now (`u32::MAX` without one; 0 when
    /// paused).
    fn room(&self, limits: Limits) -> u32 {
        if self.paused.is_some() {
            return 0;
        }
        match limits.per_minute {
            Some(limit) => limit.saturating_sub(
                u32::try_from(self.within(MINUTE_SECS * 1000).len()).unwrap_or(u32::MAX),
            ),
            None => u32::MAX,
        }
    }
}

/// Takes `requests` of the channel's limits, or says when there is room: `Ok(None)` when they
/// are taken (recorded, so every instance counts them), `Ok(Some(at))` when a window is full
/// until `at`, or the channel is paused until `at`. Under a transaction-scoped advisory lock on
/// the channel, so two instances never both take the last slot.
pub async fn take_requests(
    pool: &PgPool,
    channel: &str,
    limits: Limits,
    requests: u32,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, channel).await?;
    let windows = Windows::read(&mut tx, channel).await?;
    if let Some(at) = windows.room_at(limits, requests) {
        tx.commit().await?;
        return Ok(Some(at));
    }
    sqlx::query(
        "INSERT INTO channel_requests (channel, at)
         SELECT $1, clock_timestamp() FROM generate_series(1, $2)",
    )
    .bind(channel)
    .bind(i32::try_from(requests).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(None)
}

/// What a channel's windows have room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// Requests the minute has room for now (`u32::MAX` without a limit, 0 while paused).
    pub now: u32,
    /// When one more request may go, when not now (a full window, or the pause's end).
    pub next: Option<DateTime<Utc>>,
}

/// The channel's room: what decides whether waiting messages are folded, or wait without being
/// claimed again. Another instance may take it first; [`take_requests`] decides.
pub async fn room(pool: &PgPool, channel: &str, limits: Limits) -> Result<Room, sqlx::Error> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, channel).await?;
    let windows = Windows::read(&mut tx, channel).await?;
    tx.commit().await?;
    Ok(Room {
        now: windows.room(limits),
        next: windows.room_at(limits, 1),
    })
}

async fn lock(conn: &mut PgConnection, channel: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('channel:' || $1))")
        .bind(channel)
        .execute(conn)
        .await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(1_800_000_000_000 + ms).unwrap()
    }

    #[test]
    fn room_comes_when_the_request_that_must_leave_a_window_has_left() {
        let minute = Limits {
            per_minute: Some(3),
            per_second: None,
        };
        let windows = Windows {
            now: at(30_000),
            times: vec![at(0), at(10_000), at(20_000)],
            paused: None,
        };
        assert_eq!(windows.room(minute), 0);
        assert_eq!(windows.room_at(minute, 1), Some(at(61_000)));
        assert_eq!(windows.room_at(minute, 2), Some(at(71_000)));
        // More than the whole window at once: when it is empty.
        assert_eq!(windows.room_at(minute, 5), Some(at(81_000)));
        let feishu = Limits {
            per_minute: Some(100),
            per_second: Some(2),
        };
        let burst = Windows {
            now: at(1_500),
            times: vec![at(0), at(1_000), at(1_400)],
            paused: None,
        };
        assert_eq!(burst.room(feishu), 97);
        assert_eq!(burst.room_at(feishu, 1), Some(at(2_100)));
        assert_eq!(burst.room_at(Limits::default(), 50), None);
        let paused = Windows {
            paused: Some(at(99_000)),
            ..burst
        };
        assert_eq!(paused.room(feishu), 0);
        assert_eq!(paused.room_at(Limits::default(), 1), Some(at(99_000)));
    }
}

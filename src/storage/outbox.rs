//! The notification outbox: rows written with the inquiry, worked by the notify workers.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::notification::{MessageKind, OutboxState};
use crate::domain::timeline::EventKind;

/// The channel workers LISTEN on; notified when rows become due.
pub const CHANNEL: &str = "inquiry_desk_outbox";

/// Wakes the listening workers (`notify::wakeup`): one NOTIFY, in its own transaction.
pub async fn notify(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}

/// One pending row per recipient, and a NOTIFY delivered to listeners at commit.
pub async fn enqueue(
    conn: &mut PgConnection,
    inquiry_id: Uuid,
    recipients: &[String],
) -> Result<(), sqlx::Error> {
    if recipients.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = recipients.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "WITH queued AS (
             INSERT INTO outbox (id, inquiry_id, recipient)
             SELECT id, $2, recipient FROM unnest($1::uuid[], $3::text[]) AS r(id, recipient)
             ON CONFLICT ON CONSTRAINT outbox_inquiry_recipient_key DO NOTHING
             RETURNING 1)
         SELECT pg_notify($4, '') FROM (SELECT count(*) FROM queued) AS q",
    )
    .bind(&ids)
    .bind(inquiry_id)
    .bind(recipients)
    .bind(CHANNEL)
    .execute(conn)
    .await?;
    Ok(())
}

/// A row a worker has claimed: leased until `now() + lease`, its attempt counted.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub inquiry_id: Uuid,
    pub recipient: String,
    pub attempts: i32,
    /// `inquiry` or `supplement`.
    pub kind: MessageKind,
    /// A supplement's repeat event (whose details it carries).
    pub seq: i64,
    /// Held back by the flood guard: goes out in its recipient's summary.
    pub flood_held: bool,
    /// Whether the row already took one of its recipient's hourly slots (a retry).
    pub has_slot: bool,
}

const CLAIMED_COLUMNS: &str =
    "o.id, o.inquiry_id, o.recipient, o.attempts, o.kind, o.seq, o.flood_held, o.slot_at IS NOT NULL AS has_slot";

/// The claim of [`claim_due`] and [`claim_waiting_for`]: up to `$2` rows that `filter` picks
/// (its own parameters from `$3`) among those still to send, not held for a summary and not
/// claimed, in `order`; each leased for `$1` seconds, its attempt counted.
fn claim_statement(filter: &str, order: &str) -> String {
    format!(
        "UPDATE outbox AS o
            SET locked_until = now() + make_interval(secs => $1),
                attempts = o.attempts + 1,
                updated_at = now()
           FROM (SELECT id FROM outbox
                  WHERE state IN ('pending', 'waiting') AND NOT flood_held
                    AND (locked_until IS NULL OR locked_until <= now())
                    AND {filter}
                  ORDER BY {order}
                  LIMIT $2
                  FOR UPDATE SKIP LOCKED) AS picked
          WHERE o.id = picked.id
      RETURNING {CLAIMED_COLUMNS}"
    )
}

/// Claims up to `limit` due rows (not those held for a summary: [`claim_summaries`]). `SKIP
/// LOCKED` lets any number of workers claim side by side; the lease (not a held transaction)
/// marks a row as taken, so a worker that dies mid-send leaves a row that becomes due again when
/// its lease runs out. Both states are worked: `pending`, and `waiting` (supplements and rows
/// held for the hourly summary).
pub async fn claim_due(
    pool: &PgPool,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as(&claim_statement(
        "next_attempt_at <= now()",
        "next_attempt_at",
    ))
    .bind(lease.as_secs_f64())
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The other rows waiting for `recipient` (a channel's): those due, and new-inquiry rows that
/// only wait for the channel's rate (never failed) whatever their due time — not rows waiting
/// out a backoff, nor a `补充信息` parked for its hour. Those a fold carries with the rows
/// already claimed (SPEC §6: when more inquiries wait than a channel may carry, one message
/// announces them all). Claimed as [`claim_due`] claims (leased, attempt counted), oldest
/// first, at most `limit`; rows another worker holds are skipped.
/// Read through `outbox_queue_idx` (the rows still to send, few): an index of its own on the
/// recipient cost the intake about 4 % with two channels configured (BENCH_ONLY=intake).
pub async fn claim_waiting_for(
    pool: &PgPool,
    recipient: &str,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let filter = "recipient = $3 AND channel <> 'email'
                  AND (next_attempt_at <= now() OR (kind = 'inquiry' AND last_error IS NULL))";
    sqlx::query_as(&claim_statement(filter, "created_at"))
        .bind(lease.as_secs_f64())
        .bind(limit)
        .bind(recipient)
        .fetch_all(pool)
        .await
}

/// Rows held by the flood guard whose hour has ended, one group per recipient, each group
/// claimed whole: under a per-recipient advisory lock, so that two workers never split one
/// recipient's hour into two summaries (the second finds the rows leased). At most 16
/// recipients per call.
pub async fn claim_summaries(
    pool: &PgPool,
    lease: Duration,
) -> Result<Vec<Vec<Claimed>>, sqlx::Error> {
    let recipients: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT recipient FROM outbox
          WHERE state = 'waiting' AND flood_held AND next_attempt_at <= now()
            AND (locked_until IS NULL OR locked_until <= now())
          LIMIT 16",
    )
    .fetch_all(pool)
    .await?;
    let mut groups = Vec::new();
    for recipient in recipients {
        let mut tx = pool.begin().await?;
        let locked: bool = sqlx::query_scalar(
            "SELECT pg_try_advisory_xact_lock(hashtextextended('outbox-summary|' || $1, 0))",
        )
        .bind(&recipient)
        .fetch_one(&mut *tx)
        .await?;
        if !locked {
            continue;
        }
        let group: Vec<Claimed> = sqlx::query_as(&format!(
            "UPDATE outbox AS o
                SET locked_until = now() + make_interval(secs => $2),
                    attempts = o.attempts + 1,
                    updated_at = now()
              WHERE o.state = 'waiting' AND o.flood_held AND o.recipient = $1
                AND o.next_attempt_at <= now()
                AND (o.locked_until IS NULL OR o.locked_until <= now())
          RETURNING {CLAIMED_COLUMNS}",
        ))
        .bind(&recipient)
        .bind(lease.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        if !group.is_empty() {
            groups.push(group);
        }
    }
    Ok(groups)
}

/// The flood guard (SPEC §3): of `inquiries` then `supplements` (claimed new-inquiry and
/// `补充信息` messages to `recipient`, oldest first), as many as the recipient has slots left in
/// this clock hour (`max_per_hour` in all) take one — supplements count too, so that repeats
/// cannot go around the guard, but only after every new inquiry of the batch. The rest are held until the hour ends — their
/// claim released, the attempt not counted — to go out in one summary. Serialised per recipient
/// (an advisory lock), so instances working side by side never hand out more slots than there
/// are. Returns the ids to send now.
pub async fn take_slots(
    pool: &PgPool,
    recipient: &str,
    inquiries: &[Uuid],
    supplements: &[Uuid],
    max_per_hour: u32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('outbox-slots|' || $1, 0))")
        .bind(recipient)
        .execute(&mut *tx)
        .await?;
    let taken: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox
          WHERE recipient = $1 AND slot_at >= date_trunc('hour', now())",
    )
    .bind(recipient)
    .fetch_one(&mut *tx)
    .await?;
    // New inquiries first: a supplement never takes the slot an announcement needs.
    let asking: Vec<Uuid> = inquiries.iter().chain(supplements).copied().collect();
    let free = (i64::from(max_per_hour) - taken).clamp(0, asking.len() as i64) as usize;
    let (send, held) = (asking[..free].to_vec(), asking[free..].to_vec());
    sqlx::query("UPDATE outbox SET slot_at = now() WHERE id = ANY($1)")
        .bind(&send)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE outbox
            SET flood_held = true, state = 'waiting', locked_until = NULL, attempts = attempts - 1,
                next_attempt_at = date_trunc('hour', now()) + interval '1 hour',
                updated_at = now()
          WHERE id = ANY($1)",
    )
    .bind(&held)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(send)
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent,
    /// A transient failure with attempts left: due again after the delay.
    Retry {
        after: Duration,
        error: String,
    },
    /// Out of attempts, or a permanent failure.
    Dead {
        error: String,
        permanent: bool,
    },
}

impl Delivery {
    /// Its name in logs and `/metrics`: `sent`, `retry` or `dead`.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Retry { .. } => "retry",
            Self::Dead { .. } => "dead",
        }
    }
}

/// Records an attempt's outcome: the row's state, an `outbox_attempts` row, and for sent and
/// dead rows an event on the inquiry's timeline. One statement, one round trip.
/// `summary` says the message went out in a flood-guard summary (the timeline event says so).
pub async fn record(
    pool: &PgPool,
    row: &Claimed,
    delivery: &Delivery,
    summary: bool,
) -> Result<(), sqlx::Error> {
    let (state, error, retry_after, outcome, event) = match delivery {
        Delivery::Sent => (
            OutboxState::Sent,
            None,
            0.0,
            "sent",
            Some(EventKind::NotificationSent),
        ),
        Delivery::Retry { after, error } => (
            OutboxState::Pending,
            Some(error.as_str()),
            after.as_secs_f64(),
            "transient",
            None,
        ),
        Delivery::Dead { error, permanent } => (
            OutboxState::Dead,
            Some(error.as_str()),
            0.0,
            if *permanent { "permanent" } else { "transient" },
            Some(EventKind::NotificationDead),
        ),
    };
    sqlx::query(
        "WITH o AS (
             UPDATE outbox
                SET state = CASE WHEN $2 = 'pending' THEN outbox.state ELSE $2::text END,
                    last_error = $3, locked_until = NULL, updated_at = now(),
                    sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                    next_attempt_at = CASE WHEN $2 = 'pending'
                                           THEN now() + make_interval(secs => $4)
                                           ELSE next_attempt_at END
              WHERE id = $1 AND state IN ('pending', 'waiting')
          RETURNING id, inquiry_id, recipient, attempts, kind),
         a AS (
             INSERT INTO outbox_attempts (outbox_id, attempt, outcome, error)
             SELECT id, attempts, $5, $3 FROM o),
         e AS (
             INSERT INTO inquiry_events (inquiry_id, kind, data)
             SELECT inquiry_id, $6,
                    jsonb_build_object('recipient', recipient, 'attempts', attempts, 'error', $3::text,
                                       'kind', kind, 'summary', $7::boolean)
               FROM o WHERE $6::text IS NOT NULL)
         SELECT count(*) FROM o",
    )
    .bind(row.id)
    .bind(state)
    .bind(error)
    .bind(retry_after)
    .bind(outcome)
    .bind(event)
    .bind(summary)
    .execute(pool)
    .await?;
    Ok(())
}

/// Claimed channel rows that may not be sent yet (the channel's rate, or its pause after a
/// throttling answer): due again at `at`, their attempts given back — a wait is not a failure.
/// `throttled`: the platform was asked and answered by throttling (`code message`): recorded as
/// a `throttled` attempt of each.
pub async fn defer(
    pool: &PgPool,
    ids: &[Uuid],
    at: chrono::DateTime<chrono::Utc>,
    throttled: Option<&str>,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "WITH o AS (
             UPDATE outbox
                SET attempts = greatest(attempts - 1, 0), locked_until = NULL,
                    next_attempt_at = $2, updated_at = now(),
                    last_error = coalesce($3, last_error)
              WHERE id = ANY($1) AND state IN ('pending', 'waiting')
          RETURNING id, attempts)
         INSERT INTO outbox_attempts (outbox_id, attempt, outcome, error)
         SELECT id, attempts + 1, 'throttled', $3 FROM o WHERE $3::text IS NOT NULL",
    )
    .bind(ids)
    .bind(at)
    .bind(throttled)
    .execute(pool)
    .await?;
    Ok(())
}

/// After a successful send the mail server is back: rows waiting out a transient failure are
/// made due now instead of after hours of backoff. Returns how many.
pub async fn make_waiting_rows_due(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = now(), updated_at = now()
          WHERE state IN ('pending', 'waiting') AND next_attempt_at > now()
            AND last_error IS NOT NULL AND channel = 'email'",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// The repeats a supplement row carries: those of its inquiry after the last supplement sent to
/// its recipient on its own (one that went out in a flood-guard summary named only its latest
/// details, so those before are listed again), up to the row's `seq`, whose payload was kept;
/// oldest first.
pub async fn supplement_repeats(
    pool: &PgPool,
    row: &Claimed,
) -> Result<Vec<crate::notify::mail::RepeatMail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.inquiry_id, e.data, e.at FROM inquiry_events AS e
          WHERE e.inquiry_id = $1 AND e.kind = 'repeat' AND e.id <= $2
            AND e.data ? 'need'
            AND e.id > coalesce((SELECT max(o.seq) FROM outbox AS o
                                  WHERE o.inquiry_id = $1 AND o.kind = 'supplement'
                                    AND o.recipient = $3 AND o.state = 'sent'
                                    AND NOT o.flood_held), 0)
          ORDER BY e.id",
    )
    .bind(row.inquiry_id)
    .bind(row.seq)
    .bind(&row.recipient)
    .fetch_all(pool)
    .await
}

/// These repeat events (the `seq` of supplements: the latest details each carries), by id;
/// no query for none.
pub async fn repeat_events(
    pool: &PgPool,
    event_ids: &[i64],
) -> Result<std::collections::HashMap<i64, crate::notify::mail::RepeatMail>, sqlx::Error> {
    if event_ids.is_empty() {
        return Ok(Default::default());
    }
    let events: Vec<crate::notify::mail::RepeatMail> = sqlx::query_as(
        "SELECT id, inquiry_id, data, at FROM inquiry_events
          WHERE id = ANY($1) AND kind = 'repeat'",
    )
    .bind(event_ids)
    .fetch_all(pool)
    .await?;
    Ok(events.into_iter().map(|e| (e.id, e)).collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Gauges {
    pub pending: i64,
    pub oldest_pending_age_seconds: f64,
    pub dead: i64,
}

/// Queue depth, age of the oldest pending row, dead rows.
pub async fn gauges(pool: &PgPool) -> Result<Gauges, sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM outbox WHERE state IN ('pending', 'waiting')) AS pending,
                coalesce((SELECT extract(epoch FROM now() - min(created_at))::float8
                            FROM outbox
                           WHERE state IN ('pending', 'waiting') AND kind = 'inquiry'
                             AND NOT flood_held), 0) AS oldest_pending_age_seconds,
                (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead",
    )
    .fetch_one(pool)
    .await
}

/// Sends a dead notification again (SPEC §6): the row `notification` of `inquiry` becomes due
/// now with a fresh set of attempts, a `notification_retried` event (naming `by`) goes on the
/// timeline, and the workers are woken. `Ok(None)`: no such row of that inquiry;
/// `Ok(Some(Err(state)))`: the row is not dead (nothing changed), or its inquiry was anonymised
/// (`Cancelled`: its message would carry blanked data).
pub async fn retry(
    pool: &PgPool,
    inquiry: Uuid,
    notification: Uuid,
    by: &str,
) -> Result<Option<Result<(), OutboxState>>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let found: Option<(OutboxState, bool)> = sqlx::query_as(
        "SELECT o.state, i.anonymised_at IS NOT NULL FROM outbox AS o
           JOIN inquiries AS i ON i.id = o.inquiry_id
          WHERE o.id = $1 AND o.inquiry_id = $2 FOR UPDATE OF o",
    )
    .bind(notification)
    .bind(inquiry)
    .fetch_optional(&mut *tx)
    .await?;
    match found {
        None => return Ok(None),
        // An anonymised inquiry's message would carry blanked data: never sent again.
        Some((_, true)) => return Ok(Some(Err(OutboxState::Cancelled))),
        Some((OutboxState::Dead, false)) => {}
        Some((other, false)) => return Ok(Some(Err(other))),
    }
    sqlx::query(
        "WITH before AS (SELECT id, inquiry_id, recipient, kind, attempts, last_error
                           FROM outbox WHERE id = $1),
              o AS (UPDATE outbox
                       SET state = 'pending', attempts = 0, next_attempt_at = now(),
                           locked_until = NULL, flood_held = false, updated_at = now()
                      WHERE id = $1 RETURNING id)
         INSERT INTO inquiry_events (inquiry_id, kind, data, actor)
         SELECT inquiry_id, 'notification_retried',
                jsonb_build_object('recipient', recipient, 'kind', kind, 'by', $2::text,
                                   'attempts', attempts, 'error', last_error), $2
           FROM before",
    )
    .bind(notification)
    .bind(by)
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Ok(())))
}

/// One channel's queue (`email` for mail): rows still to send and dead rows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelGauges {
    pub channel: String,
    pub pending: i64,
    pub dead: i64,
}

/// Each channel's queue depth and dead rows (channels with neither are absent).
pub async fn gauges_by_channel(pool: &PgPool) -> Result<Vec<ChannelGauges>, sqlx::Error> {
    sqlx::query_as(
        "SELECT channel,
                count(*) FILTER (WHERE state IN ('pending', 'waiting')) AS pending,
                count(*) FILTER (WHERE state = 'dead') AS dead
           FROM outbox WHERE state IN ('pending', 'waiting', 'dead')
          GROUP BY channel",
    )
    .fetch_all(pool)
    .await
}

/// One notification of an inquiry (an outbox row).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    /// `email` (group robots and webhooks: their channel's name, SPEC §6).
    pub channel: String,
    /// `inquiry` (the new-inquiry message) or `supplement` (a repeat's `补充信息`).
    pub kind: MessageKind,
    pub recipient: String,
    /// `pending`, `sent`, `dead` or `cancelled` (`waiting` is shown as `pending`).
    pub state: OutboxState,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Held back by the flood guard (`notify.max_per_hour`): sent in the hour's summary.
    pub held_for_summary: bool,
}

/// An inquiry's outbox rows, as staff see them in its detail.
pub async fn of_inquiry(pool: &PgPool, id: Uuid) -> Result<Vec<NotificationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, channel, kind,
                CASE WHEN channel = 'email' THEN recipient ELSE channel END AS recipient,
                state, attempts, last_error,
                flood_held AS held_for_summary
           FROM outbox WHERE inquiry_id = $1 ORDER BY created_at, recipient",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

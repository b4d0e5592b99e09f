//! The notification outbox: rows written with the inquiry, worked by the notify workers.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::notify::mail::InquiryMail;

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
}

/// Claims up to `limit` due rows. `SKIP LOCKED` lets any number of workers claim side by side;
/// the lease (not a held transaction) marks a row as taken, so a worker that dies mid-send
/// leaves a row that becomes due again when its lease runs out.
pub async fn claim_due(
    pool: &PgPool,
    limit: i64,
    lease: Duration,
) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE outbox AS o
            SET locked_until = now() + make_interval(secs => $2),
                attempts = o.attempts + 1,
                updated_at = now()
           FROM (SELECT id FROM outbox
                  WHERE state = 'pending'
                    AND next_attempt_at <= now()
                    AND (locked_until IS NULL OR locked_until <= now())
                  ORDER BY next_attempt_at
                  LIMIT $1
                  FOR UPDATE SKIP LOCKED) AS due
          WHERE o.id = due.id
      RETURNING o.id, o.inquiry_id, o.recipient, o.attempts",
    )
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(pool)
    .await
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

/// Records an attempt's outcome: the row's state, an `outbox_attempts` row, and for sent and
/// dead rows an event on the inquiry's timeline. One statement, one round trip.
pub async fn record(pool: &PgPool, row: &Claimed, delivery: &Delivery) -> Result<(), sqlx::Error> {
    let (state, error, retry_after, outcome, event) = match delivery {
        Delivery::Sent => ("sent", None, 0.0, "sent", Some("notification_sent")),
        Delivery::Retry { after, error } => (
            "pending",
            Some(error.as_str()),
            after.as_secs_f64(),
            "transient",
            None,
        ),
        Delivery::Dead { error, permanent } => (
            "dead",
            Some(error.as_str()),
            0.0,
            if *permanent { "permanent" } else { "transient" },
            Some("notification_dead"),
        ),
    };
    sqlx::query(
        "WITH o AS (
             UPDATE outbox
                SET state = $2, last_error = $3, locked_until = NULL, updated_at = now(),
                    sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                    next_attempt_at = CASE WHEN $2 = 'pending'
                                           THEN now() + make_interval(secs => $4)
                                           ELSE next_attempt_at END
              WHERE id = $1 AND state = 'pending'
          RETURNING id, inquiry_id, recipient, attempts),
         a AS (
             INSERT INTO outbox_attempts (outbox_id, attempt, outcome, error)
             SELECT id, attempts, $5, $3 FROM o),
         e AS (
             INSERT INTO inquiry_events (inquiry_id, kind, data)
             SELECT inquiry_id, $6,
                    jsonb_build_object('recipient', recipient, 'attempts', attempts, 'error', $3::text)
               FROM o WHERE $6::text IS NOT NULL)
         SELECT count(*) FROM o",
    )
    .bind(row.id)
    .bind(state)
    .bind(error)
    .bind(retry_after)
    .bind(outcome)
    .bind(event)
    .execute(pool)
    .await?;
    Ok(())
}

/// After a successful send the mail server is back: rows waiting out a transient failure are
/// made due now instead of after hours of backoff. Returns how many.
pub async fn make_waiting_rows_due(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE outbox SET next_attempt_at = now(), updated_at = now()
          WHERE state = 'pending' AND next_attempt_at > now() AND last_error IS NOT NULL",
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// What the notification mails of these inquiries say.
pub async fn mail_data(
    pool: &PgPool,
    inquiry_ids: &[Uuid],
) -> Result<Vec<InquiryMail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.need, i.use, i.tax, i.company, i.contact, i.phone, i.email, i.wechat,
                i.message, i.tax_cny_per_year, i.area_sqm, a.url AS article_url,
                a.title AS article_title, i.utm_source, i.received_at
           FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id
          WHERE i.id = ANY($1)",
    )
    .bind(inquiry_ids)
    .fetch_all(pool)
    .await
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
        "SELECT (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending,
                coalesce((SELECT extract(epoch FROM now() - min(created_at))::float8
                            FROM outbox WHERE state = 'pending'), 0) AS oldest_pending_age_seconds,
                (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead",
    )
    .fetch_one(pool)
    .await
}

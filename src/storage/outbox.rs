//! The notification outbox: rows written with the inquiry, worked by the notify workers.

use sqlx::PgConnection;
use uuid::Uuid;

/// The channel workers LISTEN on; notified when rows become due.
pub const CHANNEL: &str = "inquiry_desk_outbox";

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

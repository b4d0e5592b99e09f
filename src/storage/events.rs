//! The inquiry timeline: append-only events.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::timeline::EventKind;

pub async fn record(
    conn: &mut PgConnection,
    inquiry_id: Uuid,
    kind: EventKind,
    actor: Option<&str>,
    data: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO inquiry_events (inquiry_id, kind, actor, data) VALUES ($1, $2, $3, $4)",
    )
    .bind(inquiry_id)
    .bind(kind)
    .bind(actor)
    .bind(data)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// The event's position in the timeline (the `timeline_cursor` of the next page).
    pub seq: i64,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub data: serde_json::Value,
    /// A repeat's receipt: the id its sender was given.
    pub receipt: Option<Uuid>,
}

/// Events of a timeline page: the first `limit` (+ 1, to tell whether there is more) after the
/// event `after` (0: from the start), oldest first.
pub async fn timeline(
    pool: &PgPool,
    id: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id AS seq, kind, at, actor, data, receipt_id AS receipt FROM inquiry_events
          WHERE inquiry_id = $1 AND id > $2 ORDER BY id LIMIT $3 + 1",
    )
    .bind(id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

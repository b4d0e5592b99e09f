//! The inquiry timeline: append-only events.

use sqlx::PgConnection;
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

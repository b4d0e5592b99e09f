//! Staff writes on an inquiry: status and assignee, notes, anonymisation. Each write bumps the
//! version (the ETag) and leaves an event on the timeline.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::redact;
use crate::domain::status::Status;
use crate::domain::timeline::EventKind;

/// The fields a status or assignee change needs, read under a row lock.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Locked {
    pub status: Status,
    pub version: i32,
    pub assignee: Option<String>,
    pub article_url: Option<String>,
    /// Where the visit was (spam links no new article; a lead rescued from spam gets it).
    pub landing_url: Option<String>,
    pub referrer: Option<String>,
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<Locked>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.status, i.version, i.assignee, a.url AS article_url, i.landing_url,
                i.referrer
           FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id
          WHERE i.id = $1
            FOR UPDATE OF i",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_status_and_assignee(
    conn: &mut PgConnection,
    id: Uuid,
    status: Status,
    assignee: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE inquiries SET status = $2, assignee = $3, version = version + 1, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(assignee)
    .execute(conn)
    .await?;
    Ok(())
}

/// Links an inquiry to its article (a lead rescued from spam, which links no new article).
pub async fn link_article(
    conn: &mut PgConnection,
    id: Uuid,
    article_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE inquiries SET article_id = $2 WHERE id = $1 AND article_id IS NULL")
        .bind(id)
        .bind(article_id)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Note {
    pub id: i64,
    pub body: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

/// Adds a note; `None` when the inquiry does not exist.
pub async fn add_note(
    pool: &PgPool,
    id: Uuid,
    actor: &str,
    body: &str,
) -> Result<Option<Note>, sqlx::Error> {
    sqlx::query_as(
        "WITH i AS (
             UPDATE inquiries SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING id)
         INSERT INTO inquiry_events (inquiry_id, kind, actor, data)
         SELECT id, $4, $2, jsonb_build_object('body', $3::text) FROM i
         RETURNING id, data->>'body' AS body, actor, at",
    )
    .bind(id)
    .bind(actor)
    .bind(body)
    .bind(EventKind::Note)
    .fetch_optional(pool)
    .await
}

/// Personal fields of repeat payloads on the timeline, and the digest of their text.
const PERSONAL_KEYS: [&str; 8] = [
    "text_digest",
    "contact",
    "phone",
    "email",
    "wechat",
    "company",
    "message",
    "attribution",
];

/// Erases the personal data of an inquiry (a person's request, or retention): the fields, the
/// copies in timeline payloads and notes, idempotency records; pending notifications are
/// cancelled. Returns `None` when there is no such inquiry, `Some(false)` when it was
/// anonymised before.
pub async fn anonymise(
    tx: &mut PgConnection,
    id: Uuid,
    actor: &str,
) -> Result<Option<bool>, sqlx::Error> {
    let found: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT anonymised_at FROM inquiries WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    match found {
        None => return Ok(None),
        Some(Some(_)) => return Ok(Some(false)),
        Some(None) => {}
    }
    // The need, use and tax stay for statistics, without the phone numbers and email addresses
    // typed into them (SPEC §4).
    let (need, use_, tax): (String, Option<String>, Option<String>) =
        sqlx::query_as("SELECT need, use, tax FROM inquiries WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    let need = redact::blank_contacts(&need).into_owned();
    let use_ = use_.map(|u| redact::blank_contacts(&u).into_owned());
    let tax = tax.map(|t| redact::blank_contacts(&t).into_owned());
    sqlx::query(
        "UPDATE inquiries
            SET contact = NULL, phone = NULL, email = NULL, wechat = NULL, company = NULL,
                message = NULL, client_ip = NULL, user_agent = NULL,
                landing_url = NULL, referrer = NULL, click_ids = '{}',
                need = $2, use = $3, tax = $4,
                search_keys = search_keys(inquiry_search_text(NULL, NULL, $2, $3)),
                anonymised_at = now(), version = version + 1, updated_at = now()
          WHERE id = $1",
    )
    .bind(id)
    .bind(&need)
    .bind(&use_)
    .bind(&tax)
    .execute(&mut *tx)
    .await?;
    // Repeat payloads: the personal fields go, the rest is blanked like the inquiry's text; the
    // text digests (of personal text) go from every event.
    sqlx::query(
        "UPDATE inquiry_events SET data = data - $2::text[]
          WHERE inquiry_id = $1 AND kind IN ('repeat', 'received')",
    )
    .bind(id)
    .bind(&PERSONAL_KEYS[..])
    .execute(&mut *tx)
    .await?;
    let payloads: Vec<(i64, serde_json::Value)> = sqlx::query_as(
        "SELECT id, data FROM inquiry_events WHERE inquiry_id = $1 AND kind = 'repeat'",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for (event, mut data) in payloads {
        if redact::blank_json(&mut data) {
            sqlx::query("UPDATE inquiry_events SET data = $2 WHERE id = $1")
                .bind(event)
                .bind(&data)
                .execute(&mut *tx)
                .await?;
        }
    }
    // Staff notes about a person are personal data too.
    sqlx::query("UPDATE inquiry_events SET data = '{\"erased\": true}' WHERE inquiry_id = $1 AND kind = 'note'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE inquiry_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let cancelled = sqlx::query(
        "UPDATE outbox SET state = 'cancelled', locked_until = NULL, updated_at = now()
          WHERE inquiry_id = $1 AND state IN ('pending', 'waiting')",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "INSERT INTO inquiry_events (inquiry_id, kind, actor, data) VALUES ($1, $4, $2, $3)",
    )
    .bind(id)
    .bind(actor)
    .bind(json!({ "cancelled_notifications": cancelled }))
    .bind(EventKind::Anonymised)
    .execute(&mut *tx)
    .await?;
    Ok(Some(true))
}

/// Inquiries not yet anonymised that were received before the cut-off.
pub async fn ids_received_before(
    pool: &PgPool,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM inquiries WHERE received_at < $1 AND anonymised_at IS NULL
          ORDER BY received_at LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Every inquiry from this phone (E.164), newest first.
pub async fn ids_by_phone(pool: &PgPool, phone: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM inquiries WHERE phone = $1 ORDER BY received_at DESC, id DESC",
    )
    .bind(phone)
    .fetch_all(pool)
    .await
}

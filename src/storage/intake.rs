//! The intake write path in as few round trips as its guarantees allow: BEGIN, one statement that
//! takes the duplicate lock and finds or creates the article, one that stores everything else,
//! COMMIT. The statements are public so that the benchmark runs the very same SQL through pgbench
//! (`benches/suite.rs`); every parameter carries its type so that they run there unchanged.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::search;

/// Takes the transaction's advisory lock on phone + article (`$1`, NULL for none) and finds or
/// creates the article by canonical URL (`$3`, NULL for none). One row: the article's id and
/// stored title, both NULL when there is no article or when another transaction created it
/// after this statement's snapshot was taken (the caller asks again: a new snapshot sees it).
///
/// The lock must come in a statement before the duplicate check: a later statement takes a new
/// snapshot, which sees the row of a double click that held the lock before us. ON CONFLICT DO
/// NOTHING never locks the row of a busy article for the rest of the transaction.
pub const PREPARE_SQL: &str = "\
WITH locked AS MATERIALIZED (
         SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0)) WHERE $1::text IS NOT NULL),
     created AS (
         INSERT INTO articles (id, url, host, title)
         SELECT $2::uuid, $3::text, $4::text, $5::text WHERE $3::text IS NOT NULL
         ON CONFLICT ON CONSTRAINT articles_url_key DO NOTHING
         RETURNING id, title)
SELECT (SELECT count(*) FROM locked) AS locks, a.id, a.title
  FROM (SELECT 1) AS one
  LEFT JOIN LATERAL (SELECT id, title FROM created
                     UNION ALL
                     SELECT id, title FROM articles WHERE url = $3::text
                     LIMIT 1) AS a ON true";

/// Counts a repeat of the newest matching inquiry within the window (`$25` enables the check)
/// or inserts the new one, appends the timeline event and queues one outbox row per recipient.
/// `$31` is the inquiry's search keys ([`search::keys`]). One row: the inquiry's id, whether it
/// was a repeat, and how many messages were queued (the caller wakes the workers after the
/// commit: `notify::wakeup` says why not here).
///
/// The repeat UPDATE re-checks its conditions on the row's newest version, so an inquiry
/// marked spam or anonymised meanwhile is not counted and a new one is stored instead.
pub const WRITE_SQL: &str = "\
WITH repeated AS (
         UPDATE inquiries
            SET submission_count = submission_count + 1, version = version + 1, updated_at = now()
          WHERE $25::boolean
            AND id = (SELECT id FROM inquiries
                       WHERE phone = $8::text
                         AND article_id IS NOT DISTINCT FROM $14::uuid
                         AND status <> 'spam'
                         AND anonymised_at IS NULL
                         AND received_at > now() - make_interval(secs => $26::float8)
                       ORDER BY received_at DESC
                       LIMIT 1)
            AND status <> 'spam'
            AND anonymised_at IS NULL
         RETURNING id),
     created AS (
         INSERT INTO inquiries (
             id, status, need, use, tax, company, contact, phone, email, wechat, message,
             tax_cny_per_year, area_sqm, article_id,
             utm_source, utm_medium, utm_campaign, utm_term, utm_content,
             client_ip, user_agent, consent, privacy_notice_version, spam_reason, search_keys)
         SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text,
                $9::text, $10::text, $11::text, $12::int8, $13::float8, $14::uuid,
                $15::text, $16::text, $17::text, $18::text, $19::text,
                $20::inet, $21::text, $22::boolean, $23::text, $24::text, $31::int4[]
          WHERE NOT EXISTS (SELECT 1 FROM repeated)
         RETURNING id),
     events AS (
         INSERT INTO inquiry_events (inquiry_id, kind, data)
         SELECT id, 'repeat', $27::jsonb FROM repeated
         UNION ALL
         SELECT id, 'received', $28::jsonb FROM created),
     queued AS (
         INSERT INTO outbox (id, inquiry_id, recipient)
         SELECT r.id, c.id, r.recipient
           FROM created AS c, unnest($29::uuid[], $30::text[]) AS r(id, recipient)
         ON CONFLICT ON CONSTRAINT outbox_inquiry_recipient_key DO NOTHING
         RETURNING 1)
SELECT coalesce((SELECT id FROM repeated), (SELECT id FROM created)) AS id,
       EXISTS (SELECT 1 FROM repeated) AS repeat,
       (SELECT count(*) FROM queued) AS queued";

/// What intake knows of the request besides the fields.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_ip: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
    pub privacy_notice_version: Option<String>,
}

/// The duplicate lock's key: one lead is one phone on one article.
pub fn lock_key(phone: &str, article_url: Option<&str>) -> String {
    format!("inquiry|{phone}|{}", article_url.unwrap_or_default())
}

/// Runs [`PREPARE_SQL`]; returns the article's id. Keeps the latest title given.
pub async fn prepare(
    conn: &mut PgConnection,
    lock_key: Option<&str>,
    article: Option<(&str, &str, Option<&str>)>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let (url, host, title) = match article {
        Some((url, host, title)) => (Some(url), Some(host), title),
        None => (None, None, None),
    };
    for _ in 0..3 {
        let (_, id, stored_title): (i64, Option<Uuid>, Option<String>) =
            sqlx::query_as(PREPARE_SQL)
                .bind(lock_key)
                .bind(Uuid::now_v7())
                .bind(url)
                .bind(host)
                .bind(title)
                .fetch_one(&mut *conn)
                .await?;
        match id {
            Some(id) => {
                if title.is_some() && stored_title.as_deref() != title {
                    sqlx::query("UPDATE articles SET title = $2, updated_at = now() WHERE id = $1")
                        .bind(id)
                        .bind(title)
                        .execute(&mut *conn)
                        .await?;
                }
                return Ok(Some(id));
            }
            None if url.is_none() => return Ok(None),
            // Created by a concurrent transaction after our snapshot: look again.
            None => continue,
        }
    }
    Err(sqlx::Error::RowNotFound)
}

/// What [`WRITE_SQL`] stores besides the inquiry's own fields.
pub struct WriteArgs<'a> {
    pub id: Uuid,
    pub article_id: Option<Uuid>,
    pub meta: &'a RequestMeta,
    pub spam_reason: Option<&'a str>,
    /// Look for a repeat within this window; `None` files a new inquiry in any case.
    pub dedup_window: Option<Duration>,
    pub repeat_payload: serde_json::Value,
    pub received_data: serde_json::Value,
    pub recipients: &'a [String],
}

/// What [`WRITE_SQL`] did.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Written {
    pub id: Uuid,
    pub repeat: bool,
    /// Outbox rows queued: the workers are to be woken after the commit.
    pub queued: i64,
}

/// Runs [`WRITE_SQL`].
pub async fn write(
    conn: &mut PgConnection,
    inquiry: &crate::domain::inquiry::NewInquiry,
    args: WriteArgs<'_>,
) -> Result<Written, sqlx::Error> {
    let status = if args.spam_reason.is_some() {
        "spam"
    } else {
        "new"
    };
    let a = &inquiry.attribution;
    let outbox_ids: Vec<Uuid> = args.recipients.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query_as(WRITE_SQL)
        .bind(args.id)
        .bind(status)
        .bind(&inquiry.need)
        .bind(&inquiry.use_)
        .bind(&inquiry.tax)
        .bind(&inquiry.company)
        .bind(&inquiry.contact)
        .bind(inquiry.phone.as_ref().map(|p| p.as_e164()))
        .bind(&inquiry.email)
        .bind(&inquiry.wechat)
        .bind(&inquiry.message)
        .bind(inquiry.tax_cny_per_year)
        .bind(inquiry.area_sqm)
        .bind(args.article_id)
        .bind(&a.utm_source)
        .bind(&a.utm_medium)
        .bind(&a.utm_campaign)
        .bind(&a.utm_term)
        .bind(&a.utm_content)
        .bind(args.meta.client_ip.map(|ip| ip.to_string()))
        .bind(&args.meta.user_agent)
        .bind(inquiry.consent)
        .bind(&args.meta.privacy_notice_version)
        .bind(args.spam_reason)
        .bind(args.dedup_window.is_some())
        .bind(args.dedup_window.unwrap_or_default().as_secs_f64())
        .bind(&args.repeat_payload)
        .bind(&args.received_data)
        .bind(&outbox_ids)
        .bind(args.recipients)
        .bind(search::keys(&search::text(
            inquiry.company.as_deref(),
            inquiry.contact.as_deref(),
            &inquiry.need,
            inquiry.use_.as_deref(),
        )))
        .fetch_one(conn)
        .await
}

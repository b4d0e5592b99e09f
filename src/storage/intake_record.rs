//! The intake write path in one round trip: the `intake_record` function (the baseline migration) takes
//! the duplicate lock, finds or creates the article, counts a repeat or stores the inquiry with
//! its timeline event and outbox rows. Called on its own, the call is its own transaction.
//! [`RECORD_SQL`] is public so that the benchmark runs the very same call through pgbench
//! (`benches/suite.rs`); every parameter carries its type so that it runs there unchanged.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::inquiry::NewInquiry;
use crate::domain::search;
use crate::domain::status::Status;

/// One row: the inquiry's id, the submission's receipt (the inquiry's id, or a repeat's own),
/// whether it was a repeat, and how many messages were queued (the caller wakes the workers
/// after the commit: `notify::wakeup` says why not in the database). `$1` is the inquiry as one
/// record ([`InquiryRecord`], JSON read into the `inquiries` row type).
pub const RECORD_SQL: &str = "\
SELECT id, receipt, repeat, queued FROM intake_record(
    jsonb_populate_record(NULL::inquiries, $1::jsonb), $2::text, $3::uuid, $4::text, $5::text,
    $6::text, $7::float8, $8::jsonb, $9::jsonb, $10::uuid[], $11::text[], $12::text)";

/// The inquiry's row as [`RECORD_SQL`] takes it: serde names are `inquiries`' column names.
/// The visitor's fields come from [`NewInquiry`]; `intake_record` sets the article, counters
/// and times.
#[derive(Debug, serde::Serialize)]
pub struct InquiryRecord<'a> {
    pub id: Uuid,
    pub status: Status,
    #[serde(flatten)]
    pub inquiry: &'a NewInquiry,
    pub client_ip: Option<std::net::IpAddr>,
    pub user_agent: Option<&'a str>,
    pub privacy_notice_version: Option<&'a str>,
    pub spam_reason: Option<&'a str>,
    /// `domain::search::keys` of company, contact, need and use.
    pub search_keys: Vec<i32>,
}

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

/// What [`RECORD_SQL`] stores besides the inquiry's own fields.
pub struct RecordArgs<'a> {
    /// The duplicate lock's key ([`lock_key`]); `None` takes no lock.
    pub lock_key: Option<&'a str>,
    /// The article's canonical URL, host and title.
    pub article: Option<(&'a str, &'a str, Option<&'a str>)>,
    pub id: Uuid,
    pub meta: &'a RequestMeta,
    pub spam_reason: Option<&'a str>,
    /// Look for a repeat within this window; `None` files a new inquiry in any case.
    pub dedup_window: Option<Duration>,
    pub repeat_payload: serde_json::Value,
    pub received_data: serde_json::Value,
    pub recipients: &'a [String],
}

/// What [`RECORD_SQL`] did.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Written {
    /// The inquiry the submission was filed under.
    pub id: Uuid,
    /// The submission's own id, given to the client (SPEC §2 Answers).
    pub receipt: Uuid,
    pub repeat: bool,
    /// Outbox rows queued: the workers are to be woken after the commit.
    pub queued: i64,
}

/// Runs [`RECORD_SQL`] on `conn` (a pooled connection, or a transaction when more is to be
/// written with it).
pub async fn record(
    conn: &mut PgConnection,
    inquiry: &NewInquiry,
    args: RecordArgs<'_>,
) -> Result<Written, sqlx::Error> {
    let status = if args.spam_reason.is_some() {
        Status::Spam
    } else {
        Status::New
    };
    let (url, host, title) = match args.article {
        Some((url, host, title)) => (Some(url), Some(host), title),
        None => (None, None, None),
    };
    let record = InquiryRecord {
        id: args.id,
        status,
        inquiry,
        client_ip: args.meta.client_ip,
        user_agent: args.meta.user_agent.as_deref(),
        privacy_notice_version: args.meta.privacy_notice_version.as_deref(),
        spam_reason: args.spam_reason,
        search_keys: search::keys(&search::text(
            inquiry.company.as_deref(),
            inquiry.contact.as_deref(),
            &inquiry.need,
            inquiry.use_.as_deref(),
        )),
    };
    let outbox_ids: Vec<Uuid> = args.recipients.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query_as(RECORD_SQL)
        .bind(sqlx::types::Json(&record))
        .bind(args.lock_key)
        .bind(Uuid::now_v7())
        .bind(url)
        .bind(host)
        .bind(title)
        .bind(args.dedup_window.map(|w| w.as_secs_f64()))
        .bind(&args.repeat_payload)
        .bind(&args.received_data)
        .bind(&outbox_ids)
        .bind(args.recipients)
        .bind(inquiry.text_digest())
        .fetch_one(conn)
        .await
}

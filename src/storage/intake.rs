//! The intake write path in one round trip: the `intake_record` function (the baseline migration) takes
//! the duplicate lock, finds or creates the article, counts a repeat or stores the inquiry with
//! its timeline event and outbox rows. Called on its own, the call is its own transaction.
//! [`RECORD_SQL`] is public so that the benchmark runs the very same call through pgbench
//! (`benches/suite.rs`); every parameter carries its type so that it runs there unchanged.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::search;

/// One row: the inquiry's id, the submission's receipt (the inquiry's id, or a repeat's own),
/// whether it was a repeat, and how many messages were queued (the caller wakes the workers
/// after the commit: `notify::wakeup` says why not in the database).
pub const RECORD_SQL: &str = "\
SELECT id, receipt, repeat, queued FROM intake_record(
    $1::text, $2::uuid, $3::text, $4::text, $5::text,
    $6::uuid, $7::text, $8::text, $9::text, $10::text, $11::text, $12::text, $13::text,
    $14::text, $15::text, $16::text, $17::int8, $18::float8,
    $19::text, $20::text, $21::text, $22::text, $23::text, $24::inet, $25::text,
    $26::boolean, $27::text, $28::text, $29::float8,
    $30::jsonb, $31::jsonb, $32::uuid[], $33::text[], $34::int4[],
    $35::text, $36::jsonb, $37::text, $38::text[], $39::text)";

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
    inquiry: &crate::domain::inquiry::NewInquiry,
    args: RecordArgs<'_>,
) -> Result<Written, sqlx::Error> {
    let status = if args.spam_reason.is_some() {
        "spam"
    } else {
        "new"
    };
    let (url, host, title) = match args.article {
        Some((url, host, title)) => (Some(url), Some(host), title),
        None => (None, None, None),
    };
    let a = &inquiry.attribution;
    let outbox_ids: Vec<Uuid> = args.recipients.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query_as(RECORD_SQL)
        .bind(args.lock_key)
        .bind(Uuid::now_v7())
        .bind(url)
        .bind(host)
        .bind(title)
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
        .bind(args.dedup_window.map(|w| w.as_secs_f64()))
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
        .bind(&a.landing_url)
        .bind(sqlx::types::Json(&a.click_ids))
        .bind(&a.referrer)
        .bind(inquiry.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>())
        .bind(inquiry.text_digest())
        .fetch_one(conn)
        .await
}

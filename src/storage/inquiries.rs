//! The `inquiries` table. Here: staff reads (the filters shared by the list and the CSV export,
//! keyset pages, one inquiry, related inquiries); `changes`: staff writes. The intake's write is
//! `storage::intake_record`.

pub mod changes;

use chrono::{DateTime, Utc};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::search;
use crate::domain::status::Status;

/// The columns of an inquiry as staff see it.
const COLUMNS: &str = "i.id, i.status, i.need, i.use, i.tax, i.company, i.contact, i.phone,
    i.email, i.wechat, i.message, i.tax_cny_per_year, i.area_sqm, i.article_id,
    a.url AS article_url, a.title AS article_title, i.utm_source, i.utm_medium, i.utm_campaign,
    i.utm_term, i.utm_content, i.landing_url, i.click_ids, i.referrer, i.flags,
    i.submission_count, i.assignee, i.consent, i.received_at, i.updated_at, i.version,
    i.anonymised_at";
const FROM: &str = " FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InquiryRow {
    pub id: Uuid,
    pub status: Status,
    pub need: String,
    pub r#use: Option<String>,
    pub tax: Option<String>,
    pub company: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    pub tax_cny_per_year: Option<i64>,
    pub area_sqm: Option<f64>,
    pub article_id: Option<Uuid>,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub landing_url: Option<String>,
    /// Ad click IDs by parameter name (`{"bd_vid": "…"}`).
    pub click_ids: sqlx::types::Json<std::collections::BTreeMap<String, String>>,
    pub referrer: Option<String>,
    /// `article_host_not_allowed`, `article_url_invalid` (see `domain::inquiry::Flag`).
    pub flags: Vec<String>,
    pub submission_count: i32,
    pub assignee: Option<String>,
    pub consent: Option<bool>,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub anonymised_at: Option<DateTime<Utc>>,
}

impl InquiryRow {
    /// A visitor's text field by its catalogue name (`need`, `use`, `tax`, `company`,
    /// `contact`, `email`, `wechat`, `message`); `None` when empty or not one of those.
    pub fn text(&self, field: &str) -> Option<&str> {
        match field {
            "need" => Some(self.need.as_str()),
            "use" => self.r#use.as_deref(),
            "tax" => self.tax.as_deref(),
            "company" => self.company.as_deref(),
            "contact" => self.contact.as_deref(),
            "email" => self.email.as_deref(),
            "wechat" => self.wechat.as_deref(),
            "message" => self.message.as_deref(),
            _ => None,
        }
    }

    /// Where the visit came from, as the staff API and webhooks show it.
    pub fn attribution(&self) -> crate::domain::inquiry::Attribution {
        crate::domain::inquiry::Attribution {
            utm_source: self.utm_source.clone(),
            utm_medium: self.utm_medium.clone(),
            utm_campaign: self.utm_campaign.clone(),
            utm_term: self.utm_term.clone(),
            utm_content: self.utm_content.clone(),
            landing_url: self.landing_url.clone(),
            click_ids: self.click_ids.0.clone(),
            referrer: self.referrer.clone(),
        }
    }

    /// A new inquiry's row with only its id, need and time: every other field empty. For tests
    /// and benchmarks that render one.
    pub fn new(id: Uuid, need: &str, received_at: DateTime<Utc>) -> Self {
        Self {
            id,
            status: Status::New,
            need: need.to_string(),
            r#use: None,
            tax: None,
            company: None,
            contact: None,
            phone: None,
            email: None,
            wechat: None,
            message: None,
            tax_cny_per_year: None,
            area_sqm: None,
            article_id: None,
            article_url: None,
            article_title: None,
            utm_source: None,
            utm_medium: None,
            utm_campaign: None,
            utm_term: None,
            utm_content: None,
            landing_url: None,
            click_ids: sqlx::types::Json(Default::default()),
            referrer: None,
            flags: Vec::new(),
            submission_count: 1,
            assignee: None,
            consent: None,
            received_at,
            updated_at: received_at,
            version: 1,
            anonymised_at: None,
        }
    }
}

/// The inquiries of these ids (in no order): what notification mails say.
pub async fn by_ids(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<InquiryRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS}{FROM} WHERE i.id = ANY($1)"))
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// The list filters of SPEC §4, already validated.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Vec<Status>,
    pub article_id: Option<Uuid>,
    /// Lower-cased search text.
    pub q: Option<String>,
    /// E.164.
    pub phone: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub assignee: Option<String>,
    pub min_tax: Option<i64>,
    pub notification_dead: bool,
}

/// A position in the newest-first order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub received_at: DateTime<Utc>,
    pub id: Uuid,
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A search first looks at this many of the newest rows (that pass the other filters): a
/// common word fills a page from them at once, where an index lookup would have to sort every
/// match. Rarer words fall through to the search keys' index.
const RECENT_SCAN_ROWS: i64 = 5_000;

impl Filter {
    /// Every condition but the search text.
    fn push_without_q(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        qb.push(" WHERE true");
        if !self.statuses.is_empty() {
            let statuses: Vec<&str> = self.statuses.iter().map(|s| s.as_str()).collect();
            qb.push(" AND i.status = ANY(")
                .push_bind(statuses)
                .push(")");
        }
        if let Some(article_id) = self.article_id {
            qb.push(" AND i.article_id = ").push_bind(article_id);
        }
        if let Some(phone) = &self.phone {
            qb.push(" AND i.phone = ").push_bind(phone.clone());
        }
        if let Some(from) = self.from {
            qb.push(" AND i.received_at >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            qb.push(" AND i.received_at < ").push_bind(to);
        }
        if let Some(assignee) = &self.assignee {
            qb.push(" AND i.assignee = ").push_bind(assignee.clone());
        }
        if let Some(min_tax) = self.min_tax {
            qb.push(" AND i.tax_cny_per_year >= ").push_bind(min_tax);
        }
        if self.notification_dead {
            qb.push(
                " AND EXISTS (SELECT 1 FROM outbox o WHERE o.inquiry_id = i.id AND o.state = 'dead')",
            );
        }
    }

    /// The search condition. `use_index` adds the key containment ([`search::keys`]) that lets
    /// the GIN index find candidates; the LIKE is the exact check either way.
    fn push_q(&self, qb: &mut QueryBuilder<'_, Postgres>, use_index: bool) {
        let Some(q) = &self.q else { return };
        let pattern = format!("%{}%", escape_like(q));
        qb.push(" AND ((");
        if use_index {
            qb.push("i.search_keys @> ")
                .push_bind(search::keys(q))
                .push(" AND ");
        }
        qb.push("inquiry_search_text(i.company, i.contact, i.need, i.use) LIKE ")
            .push_bind(pattern)
            .push(")");
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let looks_like_phone = digits.len() >= 3
            && q.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+'));
        if looks_like_phone {
            qb.push(" OR i.phone LIKE ")
                .push_bind(format!("%{digits}%"));
        }
        qb.push(")");
    }

    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        self.push_without_q(qb);
        self.push_q(qb, true);
    }
}

fn push_after(qb: &mut QueryBuilder<'_, Postgres>, after: Option<Position>) {
    if let Some(after) = after {
        qb.push(" AND (i.received_at, i.id) < (")
            .push_bind(after.received_at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
}

/// One page, newest first, after `after`; one row more than `limit` tells there is a next page.
pub async fn page(
    pool: &PgPool,
    filter: &Filter,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<InquiryRow>, sqlx::Error> {
    if filter.q.is_some() {
        // The newest rows first: a full page found there is exactly the page (rows are taken
        // in order), and costs a bounded scan instead of sorting every match.
        let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM (SELECT * FROM inquiries i"));
        filter.push_without_q(&mut qb);
        push_after(&mut qb, after);
        qb.push(" ORDER BY i.received_at DESC, i.id DESC LIMIT ")
            .push_bind(RECENT_SCAN_ROWS)
            .push(") i LEFT JOIN articles a ON a.id = i.article_id WHERE true");
        filter.push_q(&mut qb, false);
        qb.push(" ORDER BY i.received_at DESC, i.id DESC LIMIT ")
            .push_bind(limit + 1);
        let rows: Vec<InquiryRow> = qb.build_query_as().fetch_all(pool).await?;
        if rows.len() as i64 > limit {
            return Ok(rows);
        }
    }
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}{FROM}"));
    filter.push(&mut qb);
    push_after(&mut qb, after);
    qb.push(" ORDER BY i.received_at DESC, i.id DESC LIMIT ")
        .push_bind(limit + 1);
    qb.build_query_as().fetch_all(pool).await
}

/// Every matching row, newest first, streamed from the database: a task reads the rows and
/// hands them over through a small bounded channel, so memory stays flat however many rows
/// match, and the reading stops when the receiver (the HTTP response) goes away, or takes no row
/// for `stall_limit` (`server.stalled_download_timeout`: a client that stopped reading must not keep a pool connection
/// — and with it every other staff request — waiting). The stream
/// ends only after the last row: if the task ends without saying so (a panic while decoding a
/// row, a runtime stopping), the stream ends with an error, never as if it were complete.
pub fn stream_all(
    pool: &PgPool,
    filter: &Filter,
    stall_limit: std::time::Duration,
) -> BoxStream<'static, Result<InquiryRow, sqlx::Error>> {
    // `None` from the task: every row was read.
    let (tx, rx) = tokio::sync::mpsc::channel::<Option<Result<InquiryRow, sqlx::Error>>>(256);
    let pool = pool.clone();
    let filter = filter.clone();
    tokio::spawn(async move {
        let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS}{FROM}"));
        filter.push(&mut qb);
        qb.push(" ORDER BY i.received_at DESC, i.id DESC");
        let mut rows = qb.build_query_as::<InquiryRow>().fetch(&pool);
        while let Some(row) = rows.next().await {
            let failed = row.is_err();
            match tokio::time::timeout(stall_limit, tx.send(Some(row))).await {
                Ok(Ok(())) if !failed => {}
                Ok(_) => return,
                Err(_) => {
                    tracing::warn!(
                        "export: the client took no data for {} s; its database connection is returned",
                        stall_limit.as_secs()
                    );
                    return;
                }
            }
        }
        let _ = tx.send(None).await;
    });
    Box::pin(futures_util::stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(Some(Ok(row))) => Some((Ok(row), Some(rx))),
            Some(Some(Err(e))) => Some((Err(e), None)),
            Some(None) => None,
            None => {
                let lost = "the export's reading task ended before the last row";
                Some((Err(sqlx::Error::Decode(lost.into())), None))
            }
        }
    }))
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<InquiryRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS}{FROM} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The inquiry an id names: an inquiry's own id, or the receipt of one of its repeats (the id
/// the public answer gave, SPEC §4).
pub async fn resolve(pool: &PgPool, id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM inquiries WHERE id = $1
         UNION ALL
         SELECT inquiry_id FROM inquiry_events WHERE receipt_id = $1
         LIMIT 1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelatedRow {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub status: Status,
    pub article_id: Option<Uuid>,
    pub article_url: Option<String>,
    pub article_title: Option<String>,
}

/// Earlier inquiries from the same phone, newest first.
pub async fn related(
    pool: &PgPool,
    phone: &str,
    before: Position,
) -> Result<Vec<RelatedRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.received_at, i.status, i.article_id, a.url AS article_url, a.title AS article_title
           FROM inquiries i LEFT JOIN articles a ON a.id = i.article_id
          WHERE i.phone = $1 AND (i.received_at, i.id) < ($2, $3)
          ORDER BY i.received_at DESC, i.id DESC LIMIT 50",
    )
    .bind(phone)
    .bind(before.received_at)
    .bind(before.id)
    .fetch_all(pool)
    .await
}

//! Privacy operations (PIPL): staff reads recorded in the access log, anonymising one inquiry
//! on a person's request (with its entry in the access log), a person's access and erasure
//! requests, and anonymising old inquiries (`purge`, the daily retention job).

use std::time::Duration;

use sqlx::PgPool;

use uuid::Uuid;

use crate::auth::Staff;
use crate::storage::access_log::{self, AccessEntry};
use crate::storage::inquiries::changes;
use crate::storage::inquiries::{self, Filter, InquiryRow, Position};
use crate::workflow::{Detail, TimelinePage};

const BATCH: i64 = 500;

/// Anonymises one inquiry for `staff`, with its access-log entry, in one transaction. `None`
/// when no such inquiry exists; `Some(false)` when it was anonymised already.
pub async fn anonymise(
    pool: &PgPool,
    staff: &Staff,
    id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let anonymised = changes::anonymise(&mut tx, id, &staff.name).await?;
    if anonymised.is_some() {
        access_log::log_access(&mut *tx, staff.key_id, &staff.name, "anonymise", Some(id)).await?;
    }
    tx.commit().await?;
    Ok(anonymised)
}

/// A staff read of one inquiry's detail, recorded in the access log (SPEC §4: reads go to
/// the access log, not the timeline). `None` when there is no such inquiry.
pub async fn read(
    pool: &PgPool,
    staff: &Staff,
    id: Uuid,
    page: TimelinePage,
) -> Result<Option<Detail>, sqlx::Error> {
    let Some(detail) = crate::workflow::detail(pool, id, page).await? else {
        return Ok(None);
    };
    access_log::log_access(pool, staff.key_id, &staff.name, "read", Some(id)).await?;
    Ok(Some(detail))
}

/// One page of the staff list — `limit` rows of `filter` after `cursor`, plus one more when there
/// is a next page — recorded in the access log as `action` (`list` or `search`) with what it
/// asked for (`details`) and how many rows it answered.
pub async fn read_page(
    pool: &PgPool,
    staff: &Staff,
    page: (&Filter, Option<Position>, i64),
    action: &str,
    mut details: serde_json::Value,
) -> Result<Vec<InquiryRow>, sqlx::Error> {
    let (filter, cursor, limit) = page;
    let rows = inquiries::page(pool, filter, cursor, limit).await?;
    details["rows"] = serde_json::json!(rows.len().min(usize::try_from(limit).unwrap_or(0)));
    record_read(pool, staff, action, &details).await?;
    Ok(rows)
}

/// A list, search or export read (`action`), recorded in the access log with what it asked
/// for (`details`: `{"filters": {...}}`, personal values masked); returns the entry's id, for
/// [`record_rows`].
pub async fn record_read(
    pool: &PgPool,
    staff: &Staff,
    action: &str,
    details: &serde_json::Value,
) -> Result<i64, sqlx::Error> {
    access_log::log_read(pool, staff.key_id, &staff.name, action, details).await
}

/// Any other staff action worth an access-log entry (`export_failed`, …), about one inquiry or
/// none.
pub async fn record_action(
    pool: &PgPool,
    staff: &Staff,
    action: &str,
    inquiry_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    access_log::log_access(pool, staff.key_id, &staff.name, action, inquiry_id).await
}

/// Adds how many rows a read answered to its access-log entry (an export knows it only at
/// its end).
pub async fn record_rows(pool: &PgPool, entry: i64, rows: u64) -> Result<(), sqlx::Error> {
    access_log::set_access_rows(pool, entry, rows).await
}

/// Everything held about a phone number (E.164), for a person's access request: each inquiry's
/// whole detail with the access log about it; each is recorded as a `subject_access` read.
/// Each inquiry is read within `step` of its own (a person with many inquiries is never cut
/// short half-way by one deadline for all); a step that takes longer is
/// `sqlx::Error::PoolTimedOut` (the database is too slow: 503).
pub async fn subject_access(
    pool: &PgPool,
    staff: &Staff,
    phone: &str,
    step: Duration,
) -> Result<Vec<(Detail, Vec<AccessEntry>)>, sqlx::Error> {
    let mut held = Vec::new();
    for id in within(step, changes::ids_by_phone(pool, phone)).await? {
        let one = async {
            let Some(detail) = crate::workflow::detail(pool, id, TimelinePage::ALL).await? else {
                return Ok(None); // Erased between the two reads.
            };
            let entries = access_log::access_entries(pool, Some(id), 1000).await?;
            access_log::log_access(pool, staff.key_id, &staff.name, "subject_access", Some(id))
                .await?;
            Ok(Some((detail, entries)))
        };
        held.extend(within(step, one).await?);
    }
    Ok(held)
}

/// A person's erasure request: anonymises every inquiry from the phone number (E.164), each
/// with [`anonymise`] in its own transaction (so one failure keeps what was done) and within
/// `step` of its own, as in [`subject_access`]; returns how many inquiries the number had.
pub async fn erase_subject(
    pool: &PgPool,
    staff: &Staff,
    phone: &str,
    step: Duration,
) -> Result<usize, sqlx::Error> {
    let ids = within(step, changes::ids_by_phone(pool, phone)).await?;
    for &id in &ids {
        within(step, anonymise(pool, staff, id)).await?;
    }
    Ok(ids.len())
}

/// `step` within `limit`, or `sqlx::Error::PoolTimedOut`.
async fn within<T>(
    limit: Duration,
    step: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(limit, step)
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut))
}

/// Anonymises every inquiry received more than `older_than` ago; returns how many.
pub async fn purge_older_than(
    pool: &PgPool,
    older_than: Duration,
    actor: &str,
) -> anyhow::Result<u64> {
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(older_than)?;
    let mut total = 0;
    loop {
        let ids = changes::ids_received_before(pool, cutoff, BATCH).await?;
        if ids.is_empty() {
            return Ok(total);
        }
        for id in ids {
            let mut tx = pool.begin().await?;
            let anonymised = changes::anonymise(&mut tx, id, actor).await?;
            tx.commit().await?;
            if anonymised == Some(true) {
                total += 1;
            }
        }
    }
}

/// The daily retention run (`privacy.retention`): anonymises what is older, first
/// `first_run_after` from now, then every day; a failed run is tried again a day later.
pub fn schedule_retention(
    tasks: &mut crate::tasks::Tasks,
    pool: PgPool,
    retention: Duration,
    first_run_after: Duration,
) {
    let day = Duration::from_secs(24 * 3600);
    tasks.every("retention", first_run_after, day, day, move || {
        let pool = pool.clone();
        async move {
            let n = purge_older_than(&pool, retention, "retention").await?;
            tracing::info!(anonymised = n, "retention: old inquiries anonymised");
            anyhow::Ok(())
        }
    });
}

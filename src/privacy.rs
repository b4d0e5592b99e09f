//! Privacy operations (PIPL): anonymising one inquiry on a person's request (with its entry in
//! the access log), erasing everything held about a phone number, and anonymising old inquiries
//! (`purge`, the daily retention job).

use std::time::Duration;

use sqlx::PgPool;

use uuid::Uuid;

use crate::auth::Staff;
use crate::storage::{keys, workflow};

const BATCH: i64 = 500;

/// Anonymises one inquiry for `staff`, with its access-log entry, in one transaction. `None`
/// when no such inquiry exists; `Some(false)` when it was anonymised already.
pub async fn anonymise(
    pool: &PgPool,
    staff: &Staff,
    id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let anonymised = workflow::anonymise(&mut tx, id, &staff.name).await?;
    if anonymised.is_some() {
        keys::log_access(&mut *tx, staff.key_id, &staff.name, "anonymise", Some(id)).await?;
    }
    tx.commit().await?;
    Ok(anonymised)
}

/// The inquiries held about a phone number (E.164), for a person's access or erasure request:
/// the caller anonymises each with [`anonymise`] (each its own transaction and deadline, so a
/// person with many inquiries is never cut short half-way).
pub async fn subject_inquiries(pool: &PgPool, phone: &str) -> Result<Vec<Uuid>, sqlx::Error> {
    workflow::ids_by_phone(pool, phone).await
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
        let ids = workflow::ids_received_before(pool, cutoff, BATCH).await?;
        if ids.is_empty() {
            return Ok(total);
        }
        for id in ids {
            let mut tx = pool.begin().await?;
            let anonymised = workflow::anonymise(&mut tx, id, actor).await?;
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

//! Privacy operations (PIPL): anonymising one inquiry on a person's request (with its entry in
//! the access log), erasing everything held about a phone number, and anonymising old inquiries
//! (`purge`, the daily retention job).

use std::time::Duration;

use sqlx::PgPool;

use uuid::Uuid;

use crate::auth::Staff;
use crate::storage::{keys, workflow};

const BATCH: i64 = 500;

/// Anonymises one inquiry for `staff` and writes it to the access log. `None` when no such
/// inquiry exists; `Some(false)` when it was anonymised already.
pub async fn anonymise(
    pool: &PgPool,
    staff: &Staff,
    id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    let anonymised = workflow::anonymise(pool, id, &staff.name).await?;
    if anonymised.is_some() {
        keys::log_access(pool, staff.key_id, &staff.name, "anonymise", Some(id)).await?;
    }
    Ok(anonymised)
}

/// Anonymises every inquiry from a phone number (E.164) for `staff`, each with its access-log
/// entry; returns how many inquiries the number had.
pub async fn erase_subject(
    pool: &PgPool,
    staff: &Staff,
    phone: &str,
) -> Result<usize, sqlx::Error> {
    let ids = workflow::ids_by_phone(pool, phone).await?;
    for &id in &ids {
        anonymise(pool, staff, id).await?;
    }
    Ok(ids.len())
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
            if workflow::anonymise(pool, id, actor).await? == Some(true) {
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

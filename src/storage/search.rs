//! Upkeep of the search indexes. Their GIN pending list (fastupdate) lets an insert append its
//! keys in one write; the list is merged into the index here, in the background, every second,
//! so that no request ever pays for a merge (PostgreSQL would otherwise make the insert that
//! finds the list over `gin_pending_list_limit` merge it, stalling that request for tens of
//! milliseconds). Searches read the short list besides the index, so nothing is ever missed.

use std::time::Duration;

use sqlx::PgPool;

/// Merges the pending lists of the inquiries' GIN indexes; returns the pending-list pages
/// merged. One instance at a time does it (the others skip): a second merge would only wait.
pub const MERGE_SQL: &str = "\
SELECT CASE WHEN pg_try_advisory_xact_lock(hashtextextended('inquiry-desk|search-merge', 0))
            THEN gin_clean_pending_list('inquiries_search_keys_idx'::regclass)
                 + gin_clean_pending_list('inquiries_phone_trgm_idx'::regclass)
            ELSE 0 END";

/// Runs [`MERGE_SQL`] once.
pub async fn merge_pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(MERGE_SQL).fetch_one(pool).await
}

/// Merges every `every` until the tasks stop; after a failure (the database away, or a
/// database user that does not own the indexes) it waits a minute before trying again.
pub fn schedule_merge(tasks: &mut crate::tasks::Tasks, pool: PgPool, every: Duration) {
    tasks.every(
        "search index merge",
        Duration::ZERO,
        every,
        Duration::from_secs(60),
        move || {
            let pool = pool.clone();
            async move { merge_pending(&pool).await.map(drop) }
        },
    );
}

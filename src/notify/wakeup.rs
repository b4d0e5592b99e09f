//! Waking the notification workers once an intake has queued messages, outside the intake's
//! transaction. A NOTIFY inside it would serialise every intake's commit: PostgreSQL holds a
//! database-wide lock from a notifying transaction's pre-commit to the end of its commit, WAL
//! flush included, so no two of them can share a flush (pgbench on the intake's statements:
//! about 1,100 transactions/s with the NOTIFY, 1,600 without; BENCHMARKS.md).
//!
//! A worker in this process is woken directly, at no cost to the database. Without one
//! (`notify.worker_enabled = false`: the workers run in other instances), one background task
//! sends the NOTIFY on its own connection, a burst of intakes coalesced into one message.
//! Staff actions that queue messages (a spam inquiry filed as new) still NOTIFY in their
//! transaction: they are rare. Workers also poll (`notify.poll_interval`), so a lost wake-up
//! only delays a message.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;

use crate::storage::outbox;

/// After sending a NOTIFY, the remote waker waits this long before the next: the intakes of
/// that time coalesce into one message (at most 50 a second; each is a transaction with a WAL
/// flush), and a remote worker still starts within about 20 ms.
const COALESCE: Duration = Duration::from_millis(20);

#[derive(Default)]
pub struct Wakeup {
    local: Notify,
    local_worker: AtomicBool,
    remote: Notify,
}

impl Wakeup {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Messages were queued and committed: wake a worker.
    pub fn wake(&self) {
        if self.local_worker.load(Ordering::Relaxed) {
            self.local.notify_one();
        } else {
            self.remote.notify_one();
        }
    }

    /// A worker in this process takes the wake-ups from now on.
    pub(crate) fn attach_worker(&self) {
        self.local_worker.store(true, Ordering::Relaxed);
    }

    /// Resolves at the next local wake-up (or at once when one came while nobody waited).
    pub(crate) async fn woken(&self) {
        self.local.notified().await
    }
}

/// Sends the NOTIFY for wake-ups no local worker takes; runs for the life of the process.
pub async fn notify_remote_workers(pool: PgPool, wakeup: Arc<Wakeup>) {
    loop {
        wakeup.remote.notified().await;
        if let Err(e) = outbox::notify(&pool).await {
            tracing::debug!(error = %e, "could not notify the workers; they will poll");
        }
        tokio::time::sleep(COALESCE).await;
    }
}

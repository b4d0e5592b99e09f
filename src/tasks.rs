//! The process's background tasks under one shutdown signal: the notification worker, the
//! NOTIFY listener, the search-index merge, retention and the metrics upkeep. Periodic jobs run
//! through one helper, [`Tasks::every`]; [`Tasks::stop`] signals every task and waits for each
//! (the worker finishes the sends in flight).

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The background tasks of one process.
pub struct Tasks {
    stop: watch::Sender<bool>,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new()
    }
}

impl Tasks {
    pub fn new() -> Self {
        Self {
            stop: watch::channel(false).0,
            running: Vec::new(),
        }
    }

    /// The shutdown signal: it changes to `true` when the tasks are to stop.
    pub fn shutdown(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Runs `task` until it ends; it is to end soon after [`Tasks::shutdown`] turns `true`.
    pub fn spawn(&mut self, name: &'static str, task: impl Future<Output = ()> + Send + 'static) {
        self.running.push((name, tokio::spawn(task)));
    }

    /// Runs `job` first after `first`, then every `every` after each run ends; after a failure
    /// (logged as a warning with the task's name) the next run is `retry` later. Stops at the
    /// shutdown signal, never in the middle of a run.
    pub fn every<F, Fut, E>(
        &mut self,
        name: &'static str,
        first: Duration,
        every: Duration,
        retry: Duration,
        mut job: F,
    ) where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: std::fmt::Display,
    {
        let mut shutdown = self.shutdown();
        self.spawn(name, async move {
            let mut wait = first;
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                wait = match job().await {
                    Ok(()) => every,
                    Err(error) => {
                        tracing::warn!(task = name, error = %error, retry_in = ?retry, "background task failed");
                        retry
                    }
                };
            }
        });
    }

    /// Signals every task to stop and waits for each; returns the names of those that ended
    /// abnormally (panicked), each also logged.
    pub async fn stop(self) -> Vec<&'static str> {
        let _ = self.stop.send(true);
        let mut failed = Vec::new();
        for (name, task) in self.running {
            if let Err(error) = task.await {
                tracing::error!(task = name, %error, "background task ended abnormally");
                failed.push(name);
            }
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_periodic_job_runs_on_its_schedule_retries_after_failures_and_stops() {
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Tasks::new();
        let counted = runs.clone();
        tasks.every(
            "test",
            Duration::from_secs(1),
            Duration::from_secs(10),
            Duration::from_secs(100),
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 1 {
                        Err("the second run fails")
                    } else {
                        Ok(())
                    }
                }
            },
        );
        // A paused clock (no wall-clock waits): runs at 1 s, 11 s (fails), then 111 s.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 0);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "every 10 s after a success");
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a failure waits 100 s");
        tokio::time::sleep(Duration::from_secs(90)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert!(tasks.stop().await.is_empty());
        tokio::time::sleep(Duration::from_secs(1000)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3, "no run after the stop");
    }
}

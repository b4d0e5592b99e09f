//! The outbox worker: claims due rows, sends, records every attempt; woken by this process's
//! intakes (`wakeup`) or by LISTEN/NOTIFY, polling as a fallback; any number may run against
//! one database.

use super::channel_worker::ChannelDelivery;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rand::Rng;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;
use uuid::Uuid;

use super::mail::{InquiryMail, MailRenderer, RepeatMail};
use super::transport::{SendError, Transport};
use super::wakeup::Wakeup;
use crate::domain::notification::MessageKind;
use crate::settings::NotifySettings;
use crate::storage::outbox::{self, Claimed, Delivery};

/// Backoff never waits longer than this between two attempts; with the defaults (30 s doubled,
/// 12 attempts) the attempts span about a day.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Rows claimed at once.
    pub batch_size: i64,
    /// Sends in flight at once (also the SMTP pool size).
    pub concurrency: usize,
    /// How long a claim holds; a row whose worker died is retried after it.
    pub lease: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch_size: 64,
            concurrency: 16,
            lease: Duration::from_secs(120),
        }
    }
}

/// What a failed attempt means: dead after `max_attempts`, otherwise due again after an
/// exponential backoff (SPEC §3).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub max_attempts: i32,
    pub initial_delay: Duration,
}

impl Backoff {
    /// What a send's result means for a row on its `attempts`-th attempt (a transient error's
    /// text as `Err`).
    pub fn outcome(&self, result: Result<(), String>, attempts: i32) -> Delivery {
        match result {
            Ok(()) => Delivery::Sent,
            Err(error) if attempts >= self.max_attempts => Delivery::Dead {
                error,
                permanent: false,
            },
            Err(error) => Delivery::Retry {
                after: self.delay(attempts),
                error,
            },
        }
    }

    /// Exponential backoff from `initial_delay`, with ±25 % jitter so that rows failed
    /// together do not retry together.
    fn delay(&self, attempts: i32) -> Duration {
        let exponent = attempts.saturating_sub(1).clamp(0, 30) as u32;
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(exponent));
        let base = base.min(MAX_RETRY_DELAY);
        base.mul_f64(rand::rng().random_range(0.75..1.25))
    }
}

pub struct Worker {
    pool: PgPool,
    transport: Arc<Transport>,
    renderer: Arc<MailRenderer>,
    max_per_hour: u32,
    backoff: Backoff,
    poll_interval: Duration,
    options: WorkerOptions,
    wakeup: Option<Arc<Wakeup>>,
    /// The group robots and webhooks (rows whose recipient is `channel:<name>`), worked in
    /// tasks of their own so that a slow robot never holds the next batch of mail.
    channels: Arc<ChannelDelivery>,
    /// Those tasks, until they end.
    channel_tasks: std::sync::Mutex<tokio::task::JoinSet<()>>,
}

impl Worker {
    pub fn new(
        pool: PgPool,
        transport: Transport,
        renderer: MailRenderer,
        settings: &NotifySettings,
        options: WorkerOptions,
    ) -> Self {
        let backoff = Backoff {
            max_attempts: i32::try_from(settings.max_attempts).unwrap_or(i32::MAX),
            initial_delay: settings.retry_initial_delay,
        };
        let channels = Arc::new(ChannelDelivery::new(
            pool.clone(),
            settings,
            renderer.public_base_url(),
            backoff,
            options.lease,
        ));
        Self {
            pool,
            transport: Arc::new(transport),
            renderer: Arc::new(renderer),
            channels,
            channel_tasks: Default::default(),
            max_per_hour: settings.max_per_hour,
            backoff,
            poll_interval: settings.poll_interval,
            options,
            wakeup: None,
        }
    }

    /// Takes this process's intake wake-ups (which then send no NOTIFY).
    pub fn woken_by(mut self, wakeup: &Arc<Wakeup>) -> Self {
        wakeup.attach_worker();
        self.wakeup = Some(wakeup.clone());
        self
    }

    /// Works due rows until none is left, channel rows included; returns how many rows were
    /// claimed.
    pub async fn dispatch_pending(&self) -> Result<usize, sqlx::Error> {
        let mut total = 0;
        loop {
            let done = self.dispatch_batch().await?;
            self.channels_done().await;
            if done == 0 {
                return Ok(total);
            }
            total += done;
        }
    }

    /// Waits for the channel tasks in flight to end.
    pub async fn channels_done(&self) {
        let mut tasks = match self.channel_tasks.lock() {
            Ok(mut tasks) => std::mem::take(&mut *tasks),
            Err(_) => return,
        };
        while tasks.join_next().await.is_some() {}
    }

    /// Starts a task working one channel's claimed rows (and forgets the tasks that ended).
    fn spawn_channel(&self, rows: Vec<Claimed>) {
        let channels = self.channels.clone();
        let Ok(mut tasks) = self.channel_tasks.lock() else {
            return;
        };
        while tasks.try_join_next().is_some() {}
        tasks.spawn(async move {
            if let Err(e) = channels.work(rows).await {
                // Rows not recorded keep their lease and are tried again after it.
                tracing::warn!(error = %e, "channel delivery: database error");
            }
        });
    }

    /// Claims one batch and works it; returns how many rows it claimed.
    pub async fn dispatch_batch(&self) -> Result<usize, sqlx::Error> {
        // Rows the flood guard held whose hour has ended: one summary per recipient.
        let summaries = outbox::claim_summaries(&self.pool, self.options.lease).await?;
        let claimed =
            outbox::claim_due(&self.pool, self.options.batch_size, self.options.lease).await?;
        let count = claimed.len() + summaries.iter().map(Vec::len).sum::<usize>();
        if count == 0 {
            return Ok(0);
        }
        // Channel rows go their own way (their rate and pause, not the mail flood guard).
        let (channel_rows, claimed): (Vec<Claimed>, Vec<Claimed>) = claimed
            .into_iter()
            .partition(|r| crate::notify::routing::channel_of(&r.recipient).is_some());
        // Each channel's rows in a task of their own: a slow or unreachable robot never holds
        // the next batch of mail, and no mail (an SMTP outage) holds a robot back.
        let mut by_channel: HashMap<String, Vec<Claimed>> = HashMap::new();
        for row in channel_rows {
            by_channel
                .entry(row.recipient.clone())
                .or_default()
                .push(row);
        }
        for (_, rows) in by_channel {
            self.spawn_channel(rows);
        }
        let rows = self.flood_guard(claimed).await?;
        let mut ids: Vec<_> = rows
            .iter()
            .chain(summaries.iter().flatten())
            .map(|r| r.inquiry_id)
            .collect();
        ids.sort();
        ids.dedup();
        let mails: HashMap<_, _> = crate::storage::inquiries::by_ids(&self.pool, &ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        // The latest details of the supplements going out in a summary (its line names them).
        let events: Vec<i64> = summaries
            .iter()
            .flatten()
            .filter(|r| r.kind == MessageKind::Supplement)
            .map(|r| r.seq)
            .collect();
        let latest = outbox::repeat_events(&self.pool, &events).await?;
        let any_sent = AtomicBool::new(false);
        let mail = futures_util::stream::iter(&rows).for_each_concurrent(
            self.options.concurrency,
            |row| {
                let mail = mails.get(&row.inquiry_id);
                let any_sent = &any_sent;
                async move {
                    let delivery = self.deliver(row, mail).await;
                    if delivery == Delivery::Sent {
                        any_sent.store(true, Ordering::Relaxed);
                    }
                    self.finish(row, &delivery, false).await;
                }
            },
        );
        mail.await;
        for group in &summaries {
            let result = self.send_summary(group, &mails, &latest).await;
            if result.is_ok() {
                any_sent.store(true, Ordering::Relaxed);
            }
            if let Some(first) = group.first() {
                tracing::info!(
                    recipient = %crate::telemetry::mask_pii(&first.recipient),
                    messages = group.len(),
                    "flood guard: the hour's held messages in one summary"
                );
            }
            for row in group {
                // Each row's own attempts decide between a retry and dead.
                let delivery = self.outcome(result.clone(), row.attempts);
                self.finish(row, &delivery, true).await;
            }
        }
        if any_sent.load(Ordering::Relaxed) {
            let woken = outbox::make_waiting_rows_due(&self.pool).await?;
            if woken > 0 {
                tracing::info!(
                    rows = woken,
                    "mail server answers again: retrying waiting rows now"
                );
            }
        }
        Ok(count)
    }

    /// Logs and counts one row's outcome and records it (`summary`: it went out in one).
    async fn finish(&self, row: &Claimed, delivery: &Delivery, summary: bool) {
        log_delivery(row, delivery);
        if let Err(e) = outbox::record(&self.pool, row, delivery, summary).await {
            // The lease runs out and the row is tried again: at-least-once.
            tracing::warn!(outbox.id = %row.id, error = %e, "could not record a delivery");
        }
    }

    /// The claimed rows to send now. Rows without one of their recipient's hourly slots ask for
    /// one, new inquiries before supplements ([`outbox::take_slots`]);
    /// those refused are held until the hour ends (for its summary) and dropped here. `notify.max_per_hour = 0` turns the guard off.
    async fn flood_guard(&self, rows: Vec<Claimed>) -> Result<Vec<Claimed>, sqlx::Error> {
        if self.max_per_hour == 0 {
            return Ok(rows);
        }
        // Per recipient: new-inquiry rows asking for a slot, and supplements.
        let mut asking: HashMap<&str, (Vec<Uuid>, Vec<Uuid>)> = HashMap::new();
        for row in rows.iter().filter(|r| !r.has_slot) {
            let entry = asking.entry(&row.recipient).or_default();
            match row.kind {
                MessageKind::Supplement => entry.1.push(row.id),
                MessageKind::Inquiry => entry.0.push(row.id),
            }
        }
        let mut refused: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
        for (recipient, (inquiries, supplements)) in asking {
            let send = outbox::take_slots(
                &self.pool,
                recipient,
                &inquiries,
                &supplements,
                self.max_per_hour,
            )
            .await?;
            let asked = inquiries.len() + supplements.len();
            if send.len() < asked {
                tracing::warn!(
                    recipient = %crate::telemetry::mask_pii(recipient),
                    held = asked - send.len(),
                    max_per_hour = self.max_per_hour,
                    "flood guard: messages held for the hour's summary"
                );
            }
            refused.extend(
                inquiries
                    .into_iter()
                    .chain(supplements)
                    .filter(|id| !send.contains(id)),
            );
        }
        Ok(rows
            .into_iter()
            .filter(|r| !refused.contains(&r.id))
            .collect())
    }

    /// Sends one summary of `group` (rows held for one recipient): a line per inquiry and kind.
    async fn send_summary(
        &self,
        group: &[Claimed],
        mails: &HashMap<Uuid, InquiryMail>,
        latest: &HashMap<i64, RepeatMail>,
    ) -> Result<(), SendError> {
        let Some(first) = group.first() else {
            return Ok(());
        };
        let mut inquiries: Vec<(&InquiryMail, Option<&RepeatMail>)> = group
            .iter()
            .filter_map(|r| {
                let mail = mails.get(&r.inquiry_id)?;
                let supplement = (r.kind == MessageKind::Supplement)
                    .then(|| latest.get(&r.seq))
                    .flatten();
                Some((mail, supplement))
            })
            .collect();
        inquiries.sort_by_key(|(m, s)| (m.received_at, m.id, s.map(|r| r.id)));
        inquiries.dedup_by_key(|(m, s)| (m.id, s.map(|r| r.id)));
        let message = self
            .renderer
            .render_summary(&inquiries, &first.recipient, self.max_per_hour, first.id)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        self.transport.send(message).await
    }

    async fn deliver(&self, row: &Claimed, mail: Option<&InquiryMail>) -> Delivery {
        let Some(mail) = mail else {
            return Delivery::Dead {
                error: "inquiry not found".into(),
                permanent: true,
            };
        };
        let message = match row.kind {
            MessageKind::Supplement => match outbox::supplement_repeats(&self.pool, row).await {
                Ok(repeats) => {
                    self.renderer
                        .render_supplement(mail, &repeats, &row.recipient, row.id)
                }
                Err(e) => {
                    let error = SendError::Transient(format!("reading the repeats: {e}"));
                    return self.outcome(Err(error), row.attempts);
                }
            },
            MessageKind::Inquiry => self.renderer.render(mail, &row.recipient),
        };
        match message {
            Ok(message) => {
                let result = self.transport.send(message).await;
                self.outcome(result, row.attempts)
            }
            Err(e) => Delivery::Dead {
                error: e.to_string(),
                permanent: true,
            },
        }
    }

    /// What a send's result means for a row on its `attempts`-th attempt.
    fn outcome(&self, result: Result<(), SendError>, attempts: i32) -> Delivery {
        match result {
            Ok(()) => Delivery::Sent,
            Err(SendError::Permanent(error)) => Delivery::Dead {
                error,
                permanent: true,
            },
            Err(SendError::Transient(error)) => self.backoff.outcome(Err(error), attempts),
        }
    }

    /// Runs until `shutdown` turns true; the sends in flight are finished first. Database
    /// outages are waited out: the worker never needs a restart.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(transport = %self.transport.describe(), "notification worker started");
        let mut listener: Option<PgListener> = None;
        let mut error_delay = Duration::from_millis(500);
        while !*shutdown.borrow() {
            if listener.is_none() {
                listener = self.listen().await;
            }
            match self.dispatch_until(&shutdown).await {
                Ok(()) => error_delay = Duration::from_millis(500),
                Err(e) => {
                    tracing::warn!(error = %e, "notification worker: database error; waiting");
                    listener = None;
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        _ = tokio::time::sleep(error_delay) => {}
                    }
                    error_delay =
                        (error_delay * 2).min(self.poll_interval.max(Duration::from_secs(1)));
                    continue;
                }
            }
            tokio::select! {
                _ = shutdown.changed() => break,
                woke = wait_for_notification(listener.as_mut()) => {
                    if !woke {
                        listener = None;
                    }
                }
                _ = wait_for_wakeup(self.wakeup.as_deref()) => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
        self.channels_done().await;
        tracing::info!("notification worker stopped");
    }

    async fn dispatch_until(&self, shutdown: &watch::Receiver<bool>) -> Result<(), sqlx::Error> {
        while !*shutdown.borrow() {
            if self.dispatch_batch().await? == 0 {
                break;
            }
        }
        Ok(())
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(outbox::CHANNEL).await.ok()?;
        Some(listener)
    }
}

/// Waits for a NOTIFY; `false` when the listening connection broke (polling goes on).
async fn wait_for_notification(listener: Option<&mut PgListener>) -> bool {
    match listener {
        Some(listener) => listener.recv().await.is_ok(),
        None => std::future::pending().await,
    }
}

async fn wait_for_wakeup(wakeup: Option<&Wakeup>) {
    match wakeup {
        Some(wakeup) => wakeup.woken().await,
        None => std::future::pending().await,
    }
}

/// Logs one row's outcome and counts it in `/metrics` (overall and by channel).
pub(super) fn log_delivery(row: &Claimed, delivery: &Delivery) {
    crate::metrics::notification_outcome(delivery.outcome());
    let channel = crate::notify::routing::channel_of(&row.recipient).unwrap_or("email");
    crate::metrics::channel_outcome(channel, delivery.outcome());
    match delivery {
        Delivery::Sent => {
            tracing::info!(outbox.id = %row.id, inquiry.id = %row.inquiry_id, attempt = row.attempts, "notification sent")
        }
        Delivery::Retry { after, error } => {
            tracing::warn!(outbox.id = %row.id, attempt = row.attempts, retry_in_s = after.as_secs(), %error, "notification failed; will retry")
        }
        Delivery::Dead { error, permanent } => {
            tracing::error!(outbox.id = %row.id, attempt = row.attempts, permanent, %error, "notification dead")
        }
    }
}

//! The outbox worker's part for channel rows (SPEC §6). The rows claimed for one channel are
//! worked together, apart from the mail (a slow robot never holds a mail back): sent one by one
//! while the channel's minute has room for them all, otherwise folded — with every other row
//! waiting for the channel — into as few messages as the platform's size limit allows. Each
//! request waits for the channel's rate and pause (counted in PostgreSQL, so every instance
//! together keeps them); the platform's answer decides the rows: sent, dead at once, retried
//! with backoff, or — throttled — the channel paused and the rows due again when the pause
//! ends, their attempts given back.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::channel_send::{self, Outcome};
use super::mail::{RepeatMail, SUPPLEMENT_FIELDS};
use super::robot::{RobotRenderer, Supplement};
use super::routing;
use super::webhook::WebhookEvent;
use super::worker::{log_delivery, Backoff};
use crate::domain::notification::MessageKind;
use crate::settings::{Channel, ChannelKind, NotifySettings};
use crate::storage::channels;
use crate::storage::inquiries::{self, InquiryRow};
use crate::storage::outbox::{self, Claimed, Delivery};

/// The most rows one fold claims (its messages are split to the size limit; what is left waits
/// for the next).
const FOLD_ROWS: i64 = 500;

/// The channels of this instance's settings, their messages, their HTTP client and how their
/// rows are recorded.
pub struct ChannelDelivery {
    pool: PgPool,
    channels: HashMap<String, Channel>,
    renderer: Option<RobotRenderer>,
    client: Option<reqwest::Client>,
    public_base_url: String,
    backoff: Backoff,
    /// How long a claim holds (rows a fold claims are leased as long).
    lease: Duration,
}

impl ChannelDelivery {
    pub fn new(
        pool: PgPool,
        settings: &NotifySettings,
        public_base_url: &str,
        backoff: Backoff,
        lease: Duration,
    ) -> Self {
        Self {
            pool,
            channels: settings
                .channels
                .iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect(),
            renderer: RobotRenderer::new(public_base_url).ok(),
            client: channel_send::client().ok(),
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            backoff,
            lease,
        }
    }

    /// Works `rows`, claimed rows of one channel (recipient `channel:<name>`), and records what
    /// became of each. Errors: the database's (rows not recorded keep their lease and are
    /// tried again after it: at least once).
    pub async fn work(&self, rows: Vec<Claimed>) -> Result<(), sqlx::Error> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let name = routing::channel_of(&first.recipient)
            .unwrap_or_default()
            .to_string();
        let Some(channel) = self.channels.get(&name) else {
            // Retried with backoff, not dead at once: in a rolling deploy an instance that does
            // not know the channel yet must leave its rows to one that does.
            for row in &rows {
                let error = "not_configured no such channel in notify.channels".to_string();
                let delivery = self.backoff.outcome(Err(error), row.attempts);
                self.finish(row, &delivery, false).await?;
            }
            return Ok(());
        };
        let room = channels::room(&self.pool, &name, channel.limits()).await?;
        if let (0, Some(next)) = (room.now, room.next) {
            // A full window or a pause: they wait, and nothing waiting is claimed again.
            outbox::defer(&self.pool, &ids(&rows), next, None).await?;
            return Ok(());
        }
        let per_message = u64::from(channel.requests_per_message());
        if channel.kind != ChannelKind::Webhook
            && rows.len() as u64 * per_message > u64::from(room.now)
        {
            return self.fold(channel, rows).await;
        }
        let inquiries = self.inquiries(&rows).await?;
        let sends = rows
            .iter()
            .map(|row| self.alone(channel, row, inquiries.get(&row.inquiry_id)));
        for result in futures_util::future::join_all(sends).await {
            result?;
        }
        Ok(())
    }

    /// Sends one row on its own and records it.
    async fn alone(
        &self,
        channel: &Channel,
        row: &Claimed,
        inquiry: Option<&InquiryRow>,
    ) -> Result<(), sqlx::Error> {
        let Some(inquiry) = inquiry else {
            return self
                .finish(row, &dead("not_found", "inquiry not found"), false)
                .await;
        };
        let (inquiry, supplement) = match row.kind {
            MessageKind::Supplement => {
                let repeats = outbox::repeat_events(&self.pool, &[row.seq]).await?;
                let (inquiry, supplement) = supplemented(inquiry, repeats.get(&row.seq));
                (std::borrow::Cow::Owned(inquiry), Some(supplement))
            }
            MessageKind::Inquiry => (std::borrow::Cow::Borrowed(inquiry), None),
        };
        let supplement = supplement.as_ref();
        let bodies = match channel.kind {
            ChannelKind::Webhook => {
                let event = WebhookEvent::new(&inquiry, supplement, &self.public_base_url);
                match serde_json::to_value(event) {
                    Ok(body) => vec![body],
                    Err(e) => {
                        return self
                            .finish(row, &dead("render", &e.to_string()), false)
                            .await
                    }
                }
            }
            _ => match self
                .renderer
                .as_ref()
                .map(|r| r.render(channel, &inquiry, supplement))
            {
                Some(Ok(bodies)) => bodies,
                Some(Err(e)) => {
                    return self
                        .finish(row, &dead("render", &e.to_string()), false)
                        .await
                }
                None => return self.finish(row, &self.unready(row), false).await,
            },
        };
        let rows = std::slice::from_ref(row);
        if let Sent::Answered(outcome) = self.send(channel, rows, &bodies).await? {
            self.record(rows, outcome).await?;
        }
        Ok(())
    }

    /// Folds `rows` and every other row waiting for the channel into messages (SPEC §6),
    /// oldest first, and sends them in order while the rate has room; the rest are deferred.
    async fn fold(&self, channel: &Channel, mut rows: Vec<Claimed>) -> Result<(), sqlx::Error> {
        let recipient = rows
            .first()
            .map(|r| r.recipient.clone())
            .unwrap_or_default();
        rows.extend(
            outbox::claim_waiting_for(&self.pool, &recipient, FOLD_ROWS, self.lease).await?,
        );
        let inquiries = self.inquiries(&rows).await?;
        let (rows, gone): (Vec<Claimed>, Vec<Claimed>) = rows
            .into_iter()
            .partition(|r| inquiries.contains_key(&r.inquiry_id));
        for row in &gone {
            self.finish(row, &dead("not_found", "inquiry not found"), false)
                .await?;
        }
        // A supplement shows the repeat's values (its latest details).
        let seqs: Vec<i64> = rows
            .iter()
            .filter(|r| r.kind == MessageKind::Supplement)
            .map(|r| r.seq)
            .collect();
        let repeats = outbox::repeat_events(&self.pool, &seqs).await?;
        let mut rows: Vec<(InquiryRow, Option<Supplement>, Claimed)> = rows
            .into_iter()
            .filter_map(|row| {
                let inquiry = inquiries.get(&row.inquiry_id)?;
                Some(match row.kind {
                    MessageKind::Supplement => {
                        let (inquiry, supplement) = supplemented(inquiry, repeats.get(&row.seq));
                        (inquiry, Some(supplement), row)
                    }
                    MessageKind::Inquiry => (inquiry.clone(), None, row),
                })
            })
            .collect();
        // New inquiries first, oldest first: the message's full entry is a new lead.
        rows.sort_by_key(|(inquiry, supplement, row)| {
            (
                supplement.is_some(),
                inquiry.received_at,
                inquiry.id,
                row.seq,
            )
        });
        let (shown, rows): (Vec<(InquiryRow, Option<Supplement>)>, Vec<Claimed>) = rows
            .into_iter()
            .map(|(inquiry, supplement, row)| ((inquiry, supplement), row))
            .unzip();
        let items: Vec<(&InquiryRow, Option<&Supplement>)> = shown
            .iter()
            .map(|(inquiry, supplement)| (inquiry, supplement.as_ref()))
            .collect();
        let parts = match self
            .renderer
            .as_ref()
            .map(|r| r.render_fold(channel, &items))
        {
            Some(Ok(parts)) => parts,
            failed => {
                for row in &rows {
                    let delivery = match &failed {
                        Some(Err(e)) => dead("render", &e.to_string()),
                        _ => self.unready(row),
                    };
                    self.finish(row, &delivery, false).await?;
                }
                return Ok(());
            }
        };
        tracing::info!(
            channel = %channel.name,
            inquiries = rows.len(),
            messages = parts.len(),
            "channel backlog folded"
        );
        let started = std::time::Instant::now();
        let mut rest = rows.as_slice();
        for part in parts {
            if started.elapsed() > self.lease / 2 {
                // Before the claims run out (another worker would take these rows too).
                outbox::defer(&self.pool, &ids(rest), Utc::now(), None).await?;
                return Ok(());
            }
            let (carried, after) = rest.split_at(part.count.min(rest.len()));
            rest = after;
            match self.send(channel, carried, &part.bodies).await? {
                // Not sent (the rate, or a throttling answer): every later message waits too.
                Sent::Deferred(at) => {
                    outbox::defer(&self.pool, &ids(after), at, None).await?;
                    return Ok(());
                }
                // A refused fold kills no lead: each is sent on its own (a refusal that is the
                // robot's key, signature or keyword then kills each with its own answer).
                Sent::Answered(Outcome::Permanent { code, message }) if carried.len() > 1 => {
                    tracing::warn!(channel = %channel.name, %code, %message, rows = carried.len(),
                        "a folded message was refused: each is sent on its own");
                    for row in carried {
                        self.alone(channel, row, inquiries.get(&row.inquiry_id))
                            .await?;
                    }
                }
                // The robot fails now: the rest wait with their attempts untouched.
                Sent::Answered(outcome @ Outcome::Transient { .. }) => {
                    self.record(carried, outcome).await?;
                    let later = Utc::now()
                        + chrono::Duration::from_std(self.backoff.initial_delay)
                            .unwrap_or_default();
                    outbox::defer(&self.pool, &ids(after), later, None).await?;
                    return Ok(());
                }
                Sent::Answered(outcome) => self.record(carried, outcome).await?,
            }
        }
        Ok(())
    }

    /// Sends one message (`bodies`, in order) carrying `rows`, when the channel's rate and pause
    /// allow: `Sent::Deferred(at)` when not (the rows deferred to `at`, their attempts given
    /// back; after a throttling answer the channel paused). The caller records an answer. A
    /// message is sent when its first request is accepted: the second, a WeCom mention, only
    /// logs its failure (the group has the lead; sending it again would show it twice).
    async fn send(
        &self,
        channel: &Channel,
        rows: &[Claimed],
        bodies: &[Value],
    ) -> Result<Sent, sqlx::Error> {
        let (Some(first), Some(client)) = (rows.first(), &self.client) else {
            let error = "the HTTP client could not be set up".to_string();
            return Ok(Sent::Answered(Outcome::Transient { error }));
        };
        // Every request counts against the rate (a WeCom mention is a second one).
        let requests = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
        if let Some(at) =
            channels::take_requests(&self.pool, &channel.name, channel.limits(), requests).await?
        {
            outbox::defer(&self.pool, &ids(rows), at, None).await?;
            crate::metrics::channel_outcome(&channel.name, "deferred");
            return Ok(Sent::Deferred(at));
        }
        let message_id = format!("msg_{}", first.id.simple());
        let mut answers = Vec::with_capacity(bodies.len());
        for body in bodies {
            let now_ms = Utc::now().timestamp_millis();
            let answer = channel_send::send(client, channel, body, &message_id, now_ms).await;
            let sent = answer == Outcome::Sent;
            answers.push(answer);
            if !sent {
                break;
            }
        }
        let mut answers = answers.into_iter();
        let first_answer = answers.next().unwrap_or(Outcome::Sent);
        for later in answers.filter(|a| *a != Outcome::Sent) {
            tracing::warn!(channel = %channel.name, answer = ?later,
                "the message went out; its mention did not");
            if let Outcome::Throttled { .. } = later {
                channels::pause(&self.pool, &channel.name, channel.throttle_pause()).await?;
            }
        }
        if let Outcome::Throttled { code, message } = first_answer {
            let until =
                channels::pause(&self.pool, &channel.name, channel.throttle_pause()).await?;
            tracing::warn!(channel = %channel.name, code = %code, until = %until, "channel throttled: paused");
            crate::metrics::channel_outcome(&channel.name, "throttled");
            let answer = format!("{code} {message}");
            outbox::defer(&self.pool, &ids(rows), until, Some(&answer)).await?;
            return Ok(Sent::Deferred(until));
        }
        Ok(Sent::Answered(first_answer))
    }

    /// Records the platform's answer to a message carrying `rows` (more than one: a fold).
    async fn record(&self, rows: &[Claimed], answer: Outcome) -> Result<(), sqlx::Error> {
        let folded = rows.len() > 1;
        for row in rows {
            let delivery = match &answer {
                Outcome::Sent => Delivery::Sent,
                Outcome::Permanent { code, message } => dead(code, message),
                Outcome::Transient { error } => {
                    self.backoff.outcome(Err(error.clone()), row.attempts)
                }
                // `send` defers throttled rows itself.
                Outcome::Throttled { code, message } => self
                    .backoff
                    .outcome(Err(format!("{code} {message}")), row.attempts),
            };
            self.finish(row, &delivery, folded).await?;
        }
        Ok(())
    }

    /// The HTTP client or the templates could not be set up: tried again later.
    fn unready(&self, row: &Claimed) -> Delivery {
        let error = "the HTTP client or the templates could not be set up".to_string();
        self.backoff.outcome(Err(error), row.attempts)
    }

    async fn inquiries(&self, rows: &[Claimed]) -> Result<HashMap<Uuid, InquiryRow>, sqlx::Error> {
        let mut ids: Vec<Uuid> = rows.iter().map(|r| r.inquiry_id).collect();
        ids.sort();
        ids.dedup();
        Ok(inquiries::by_ids(&self.pool, &ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect())
    }

    /// Logs, counts and records one row's outcome (`folded`: it went out in a fold).
    async fn finish(
        &self,
        row: &Claimed,
        delivery: &Delivery,
        folded: bool,
    ) -> Result<(), sqlx::Error> {
        log_delivery(row, delivery);
        outbox::record(&self.pool, row, delivery, folded).await
    }
}

/// What became of a message's turn.
enum Sent {
    /// Not asked: the rows wait until then.
    Deferred(DateTime<Utc>),
    /// Asked; its answer, still to be recorded.
    Answered(Outcome),
}

fn ids(rows: &[Claimed]) -> Vec<Uuid> {
    rows.iter().map(|r| r.id).collect()
}

fn dead(code: &str, message: &str) -> Delivery {
    Delivery::Dead {
        error: format!("{code} {message}"),
        permanent: true,
    }
}

/// A repeat's values over the inquiry's, and what it changed: how a supplement is announced on
/// a channel.
fn supplemented(inquiry: &InquiryRow, repeat: Option<&RepeatMail>) -> (InquiryRow, Supplement) {
    let mut shown = inquiry.clone();
    let Some(repeat) = repeat else {
        return (shown, Supplement::default());
    };
    let value = |key: &str| repeat.data.get(key).and_then(|v| v.as_str());
    let current = |key: &str| inquiry.text(key);
    let changed: Vec<_> = SUPPLEMENT_FIELDS
        .iter()
        .copied()
        .filter(|field| value(field.name).is_some_and(|new| Some(new) != current(field.name)))
        .collect();
    for field in &changed {
        let new = value(field.name).map(str::to_string);
        match field.name {
            "need" => {
                shown.need = new.unwrap_or_default();
                shown.area_sqm = crate::domain::derive::area_sqm(&shown.need);
            }
            "use" => shown.r#use = new,
            "tax" => {
                shown.tax_cny_per_year = new
                    .as_deref()
                    .and_then(crate::domain::derive::tax_cny_per_year);
                shown.tax = new;
            }
            "company" => shown.company = new,
            "contact" => shown.contact = new,
            "email" => shown.email = new,
            "wechat" => shown.wechat = new,
            _ => shown.message = new,
        }
    }
    let supplement = Supplement {
        changed,
        at: Some(repeat.at),
    };
    (shown, supplement)
}

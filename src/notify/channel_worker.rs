//! The outbox worker's part for channel rows (SPEC §6): a row whose recipient is
//! `channel:<name>` is rendered for its channel, waits for the channel's rate and pause (counted
//! in PostgreSQL, so every instance together keeps them), is sent, and its answer decides the
//! row: sent, dead at once, retried with backoff, or — throttled — the channel paused and the
//! row due again when the pause ends, its attempt given back.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::channel_send::{self, Outcome};
use super::robot::RobotRenderer;
use super::routing;
use crate::domain::notification::MessageKind;
use crate::settings::{Channel, ChannelKind, NotifySettings};
use crate::storage::channels;
use crate::storage::inquiries::InquiryRow;
use crate::storage::outbox::{self, Claimed};

/// What became of a channel row.
#[derive(Debug)]
pub enum ChannelResult {
    /// Asked; the answer decides the row (the worker records it).
    Answered(Outcome),
    /// Not sent now (the channel's rate or pause): already due again later, nothing to record.
    Deferred,
}

/// The channels of this instance's settings, their messages and their HTTP client.
pub struct ChannelDelivery {
    channels: HashMap<String, Channel>,
    renderer: Option<RobotRenderer>,
    client: Option<reqwest::Client>,
    public_base_url: String,
}

impl ChannelDelivery {
    pub fn new(settings: &NotifySettings, public_base_url: &str) -> Self {
        Self {
            channels: settings
                .channels
                .iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect(),
            renderer: RobotRenderer::new(public_base_url).ok(),
            client: channel_send::client().ok(),
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
        }
    }

    /// Works one claimed channel row. Errors: the database's (the lease runs out and the row is
    /// tried again).
    pub async fn deliver(
        &self,
        pool: &sqlx::PgPool,
        row: &Claimed,
        inquiry: Option<&InquiryRow>,
    ) -> Result<ChannelResult, sqlx::Error> {
        let permanent = |code: &str, message: &str| {
            Ok(ChannelResult::Answered(Outcome::Permanent {
                code: code.into(),
                message: message.into(),
            }))
        };
        let name = routing::channel_of(&row.recipient).unwrap_or_default();
        let Some(channel) = self.channels.get(name) else {
            return permanent("not_configured", "no such channel in notify.channels");
        };
        let Some(inquiry) = inquiry else {
            return permanent("not_found", "inquiry not found");
        };
        let (Some(renderer), Some(client)) = (&self.renderer, &self.client) else {
            return Ok(ChannelResult::Answered(Outcome::Transient {
                error: "the HTTP client or the templates could not be set up".into(),
            }));
        };
        let supplement = row.kind == MessageKind::Supplement;
        let bodies = match channel.kind {
            ChannelKind::Webhook => vec![webhook_body(inquiry, supplement, &self.public_base_url)],
            _ => match renderer.render(channel, inquiry, supplement) {
                Ok(bodies) => bodies,
                Err(e) => return permanent("render", &e.to_string()),
            },
        };
        // Every request counts against the rate (a WeCom mention is a second one).
        let requests = u32::try_from(bodies.len()).unwrap_or(u32::MAX);
        if let Some(at) =
            channels::take_requests(pool, name, channel.rate_per_minute(), requests).await?
        {
            outbox::defer(pool, row, at, None).await?;
            return Ok(ChannelResult::Deferred);
        }
        let message_id = format!("msg_{}", row.id.simple());
        let mut last = Outcome::Sent;
        for body in &bodies {
            let now_ms = chrono::Utc::now().timestamp_millis();
            last = channel_send::send(client, channel, body, &message_id, now_ms).await;
            if last != Outcome::Sent {
                break;
            }
        }
        if let Outcome::Throttled { code, message } = &last {
            let until = channels::pause(pool, name, channel.throttle_pause()).await?;
            tracing::warn!(channel = name, code = %code, until = %until, "channel throttled: paused");
            outbox::defer(pool, row, until, Some(&format!("{code} {message}"))).await?;
            return Ok(ChannelResult::Deferred);
        }
        Ok(ChannelResult::Answered(last))
    }
}

/// A partner webhook's body: the inquiry as JSON, with the staff API's field names.
pub fn webhook_body(inquiry: &InquiryRow, supplement: bool, public_base_url: &str) -> Value {
    json!({
        "type": if supplement { "inquiry.supplement" } else { "inquiry.received" },
        "inquiry": {
            "id": inquiry.id,
            "status": inquiry.status,
            "need": inquiry.need,
            "use": inquiry.r#use,
            "tax": inquiry.tax,
            "tax_cny_per_year": inquiry.tax_cny_per_year,
            "area_sqm": inquiry.area_sqm,
            "company": inquiry.company,
            "contact": inquiry.contact,
            "phone": inquiry.phone,
            "email": inquiry.email,
            "wechat": inquiry.wechat,
            "message": inquiry.message,
            "article": inquiry.article_id.map(|id| json!({
                "id": id, "url": inquiry.article_url, "title": inquiry.article_title,
            })),
            "attribution": {
                "utm_source": inquiry.utm_source,
                "utm_medium": inquiry.utm_medium,
                "utm_campaign": inquiry.utm_campaign,
                "utm_term": inquiry.utm_term,
                "utm_content": inquiry.utm_content,
                "landing_url": inquiry.landing_url,
                "referrer": inquiry.referrer,
            },
            "submission_count": inquiry.submission_count,
            "received_at": inquiry.received_at,
            "link": format!("{public_base_url}/inbox#/inquiries/{}", inquiry.id),
        },
    })
}

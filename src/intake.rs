//! The intake transaction: article, duplicate check, inquiry, timeline, outbox rows and the
//! idempotency answer, committed together before anything is acknowledged.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::inquiry::NewInquiry;
use crate::notify::routing;
use crate::settings::Settings;
use crate::storage::idempotency::{self, StoredAnswer};
use crate::storage::inquiries::{self, RequestMeta};
use crate::storage::{articles, events, outbox};

/// One submission to record.
pub struct Submission<'a> {
    pub inquiry: &'a NewInquiry,
    pub meta: &'a RequestMeta,
    /// Set when the submission is filed as spam (honeypot filled, bad form token).
    pub spam_reason: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub id: Uuid,
    pub duplicate: bool,
}

impl Outcome {
    /// The answer a JSON client gets, also stored for Idempotency-Key replays.
    pub fn answer(&self) -> StoredAnswer {
        StoredAnswer {
            status: if self.duplicate { 200 } else { 201 },
            body: json!({"id": self.id, "status": "received", "duplicate": self.duplicate}),
        }
    }
}

pub async fn record(
    pool: &PgPool,
    settings: &Settings,
    submission: Submission<'_>,
) -> Result<Outcome, sqlx::Error> {
    let Submission {
        inquiry,
        meta,
        spam_reason,
        idempotency_key,
    } = submission;
    let mut tx = pool.begin().await?;
    let article_id = match &inquiry.article {
        Some(article) => {
            Some(articles::find_or_create(&mut tx, &article.url, article.title.as_deref()).await?)
        }
        None => None,
    };

    let phone = inquiry.phone.as_ref().filter(|_| spam_reason.is_none());
    let duplicate_of = match phone {
        Some(phone) => {
            inquiries::lock_phone_on_article(&mut tx, phone.as_e164(), article_id).await?;
            let window = settings.intake.dedup_window;
            inquiries::find_duplicate(&mut tx, phone.as_e164(), article_id, window).await?
        }
        None => None,
    };

    let outcome = match duplicate_of {
        Some(id) => {
            inquiries::bump_submission_count(&mut tx, id).await?;
            events::record(&mut tx, id, events::kind::REPEAT, None, &inquiry.payload()).await?;
            Outcome {
                id,
                duplicate: true,
            }
        }
        None => {
            let id = Uuid::now_v7();
            inquiries::insert(&mut tx, id, inquiry, article_id, meta, spam_reason).await?;
            let data = json!({ "spam_reason": spam_reason });
            events::record(&mut tx, id, events::kind::RECEIVED, None, &data).await?;
            if spam_reason.is_none() {
                let article_url = inquiry.article.as_ref().map(|a| &a.url);
                let recipients = routing::recipients_for(&settings.notify, article_url);
                outbox::enqueue(&mut tx, id, &recipients).await?;
            }
            Outcome {
                id,
                duplicate: false,
            }
        }
    };

    if let Some(key) = idempotency_key {
        idempotency::complete(&mut tx, key, outcome.id, &outcome.answer()).await?;
    }
    tx.commit().await?;
    Ok(outcome)
}

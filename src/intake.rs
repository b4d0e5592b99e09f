//! The intake transaction: article, duplicate check, inquiry, timeline, outbox rows and the
//! idempotency answer, committed together before anything is acknowledged.

use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

use crate::domain::inquiry::NewInquiry;
use crate::notify::routing;
use crate::notify::wakeup::Wakeup;
use crate::settings::Settings;
use crate::storage::idempotency::{self, StoredAnswer};
use crate::storage::intake_record;
use crate::storage::intake_record::RequestMeta;
use crate::storage::writers::Writers;

/// One submission to record.
pub struct Submission<'a> {
    pub inquiry: &'a NewInquiry,
    pub meta: &'a RequestMeta,
    /// Set when the submission is filed as spam (honeypot filled, bad form token).
    pub spam_reason: Option<&'a str>,
    /// The Idempotency-Key and the client scope it belongs to.
    pub idempotency_key: Option<(&'a str, &'a str)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The inquiry the submission was filed under.
    pub id: Uuid,
    /// The submission's own id: the new inquiry's, or the repeat's timeline event's.
    pub receipt: Uuid,
    pub duplicate: bool,
}

impl From<intake_record::Written> for Outcome {
    fn from(written: intake_record::Written) -> Self {
        Self {
            id: written.id,
            receipt: written.receipt,
            duplicate: written.repeat,
        }
    }
}

impl Outcome {
    /// The answer a JSON client gets, also stored for Idempotency-Key replays: the same for a
    /// new inquiry, a repeat and spam (SPEC §2 Answers), so that it tells nobody whether a phone
    /// inquired before or whether an anti-bot check fired.
    pub fn answer(&self) -> StoredAnswer {
        receipt_answer(self.receipt)
    }
}

/// The answer to every accepted submission — new inquiry, repeat or spam alike (SPEC §2).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct IntakeAnswer {
    /// The submission's receipt: staff open the inquiry with it (`GET /api/v1/inquiries/{id}`).
    pub id: Uuid,
    /// Always `received`.
    #[schema(value_type = String, example = "received")]
    pub status: &'static str,
}

/// `201 {"id": receipt, "status": "received"}`.
pub fn receipt_answer(receipt: Uuid) -> StoredAnswer {
    let answer = IntakeAnswer {
        id: receipt,
        status: "received",
    };
    StoredAnswer {
        status: 201,
        body: json!(answer),
    }
}

/// Records the submission in one transaction, on a connection of the intake's own pool; once
/// it is committed, wakes the notification workers if messages were queued.
pub async fn record(
    writers: &Writers,
    settings: &Settings,
    wakeup: &Wakeup,
    submission: Submission<'_>,
) -> Result<Outcome, sqlx::Error> {
    let Submission {
        inquiry,
        meta,
        spam_reason,
        idempotency_key,
    } = submission;
    let phone = inquiry
        .phone
        .as_ref()
        .filter(|_| spam_reason.is_none())
        .map(|p| p.as_e164());
    let article = inquiry.article.as_ref();
    let lock_key =
        phone.map(|phone| intake_record::lock_key(phone, article.map(|a| a.url.as_str())));

    let recipients = if spam_reason.is_none() {
        routing::recipients_for(&settings.notify, article.map(|a| &a.url))
    } else {
        Vec::new()
    };
    let args = intake_record::RecordArgs {
        lock_key: lock_key.as_deref(),
        article: article.map(|a| (a.url.as_str(), a.url.host(), a.title.as_deref())),
        id: Uuid::now_v7(),
        meta,
        spam_reason,
        dedup_window: phone.map(|_| settings.intake.dedup_window),
        repeat_payload: inquiry.payload(),
        received_data: json!({ "spam_reason": spam_reason }),
        recipients: &recipients,
    };

    // One call, its own transaction; with an Idempotency-Key the answer is stored in the same
    // transaction. The connection goes back unchecked only when every step succeeded.
    let mut conn = writers.get().await?;
    let written = match idempotency_key {
        None => intake_record::record(&mut conn, inquiry, args).await?,
        Some((scope, key)) => {
            let mut tx = conn.begin().await?;
            let written = intake_record::record(&mut tx, inquiry, args).await?;
            let outcome = Outcome::from(written);
            idempotency::complete(&mut tx, scope, key, outcome.id, &outcome.answer()).await?;
            tx.commit().await?;
            written
        }
    };
    conn.finish();
    let outcome = Outcome::from(written);
    if written.queued > 0 {
        wakeup.wake();
    }
    Ok(outcome)
}

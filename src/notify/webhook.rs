//! What a partner webhook receives (SPEC §6): one JSON event per inquiry or supplement, with the
//! staff API's field names, signed as Standard Webhooks specifies (`notify::sign::webhook`:
//! `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<Base64 HMAC-SHA256>`; the
//! specification is at standardwebhooks.com). Its schema is in the OpenAPI document, under
//! `webhooks` and as the `WebhookEvent` component.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::robot::Supplement;
use crate::domain::inquiry::Attribution;
use crate::domain::status::Status;
use crate::storage::inquiries::InquiryRow;

/// The name of the webhook in the OpenAPI document's `webhooks`.
pub const OPENAPI_NAME: &str = "inquiry";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum WebhookEventType {
    /// A new inquiry (or one moved from spam to new).
    #[serde(rename = "inquiry.received")]
    Received,
    /// The same visitor sent the inquiry again with new details (`补充信息`).
    #[serde(rename = "inquiry.supplement")]
    Supplement,
}

/// One webhook request's body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookEvent {
    pub r#type: WebhookEventType,
    /// A supplement's changed fields, by their names in `inquiry` (`["need", "company"]`);
    /// `null` for a new inquiry.
    pub changed: Option<Vec<&'static str>>,
    pub inquiry: WebhookInquiry,
}

/// The inquiry as the staff API names its fields; a supplement's carries the repeat's values.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookInquiry {
    pub id: Uuid,
    pub status: Status,
    pub need: String,
    pub r#use: Option<String>,
    pub tax: Option<String>,
    /// Read from `tax`, yuan a year.
    pub tax_cny_per_year: Option<i64>,
    /// Read from `need`, square metres.
    pub area_sqm: Option<f64>,
    pub company: Option<String>,
    pub contact: Option<String>,
    /// E.164 (`+8613912345678`), whole: a webhook goes to a system you hand leads to.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    pub article: Option<WebhookArticle>,
    pub attribution: Attribution,
    /// How often the visitor has sent it (1 for a new inquiry).
    pub submission_count: i32,
    pub received_at: DateTime<Utc>,
    /// The inquiry in the inbox.
    pub link: String,
}

/// The article page the form was on.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookArticle {
    pub id: Uuid,
    /// Its canonical URL.
    pub url: Option<String>,
    pub title: Option<String>,
}

impl WebhookEvent {
    /// The event for `inquiry` (with the repeat's values for a supplement); `public_base_url`
    /// for its inbox link.
    pub fn new(
        inquiry: &InquiryRow,
        supplement: Option<&Supplement>,
        public_base_url: &str,
    ) -> Self {
        let i = inquiry.clone();
        Self {
            r#type: match supplement {
                Some(_) => WebhookEventType::Supplement,
                None => WebhookEventType::Received,
            },
            changed: supplement.map(|s| s.changed.iter().map(|f| f.name).collect()),
            inquiry: WebhookInquiry {
                attribution: i.attribution(),
                link: format!(
                    "{}/inbox#/inquiries/{}",
                    public_base_url.trim_end_matches('/'),
                    i.id
                ),
                id: i.id,
                status: i.status,
                need: i.need,
                r#use: i.r#use,
                tax: i.tax,
                tax_cny_per_year: i.tax_cny_per_year,
                area_sqm: i.area_sqm,
                company: i.company,
                contact: i.contact,
                phone: i.phone,
                email: i.email,
                wechat: i.wechat,
                message: i.message,
                article: i.article_id.map(|id| WebhookArticle {
                    id,
                    url: i.article_url,
                    title: i.article_title,
                }),
                submission_count: i.submission_count,
                received_at: i.received_at,
            },
        }
    }
}

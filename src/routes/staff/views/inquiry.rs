//! What the staff API answers: an inquiry in the list, and its detail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{EventView, NotificationView};
use crate::domain::inquiry::Attribution;
use crate::domain::status::Status;
use crate::storage::inquiries::{InquiryRow, RelatedRow};
use crate::workflow::Detail;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticleView {
    pub id: Uuid,
    pub url: Option<String>,
    pub title: Option<String>,
}

/// An inquiry as the list shows it: every field of the detail but its timeline and relations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InquiryItem {
    pub id: Uuid,
    pub status: Status,
    pub need: String,
    pub r#use: Option<String>,
    pub tax: Option<String>,
    pub company: Option<String>,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub message: Option<String>,
    pub tax_cny_per_year: Option<i64>,
    pub area_sqm: Option<f64>,
    pub article: Option<ArticleView>,
    pub attribution: Attribution,
    /// How the inquiry was read: `article_host_not_allowed` (its `article_url` named a host
    /// outside `intake.allowed_site_hosts`; no article linked), `article_url_invalid`.
    pub flags: Vec<String>,
    pub submission_count: i32,
    pub assignee: Option<String>,
    pub consent: Option<bool>,
    pub anonymised: bool,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<InquiryRow> for InquiryItem {
    fn from(r: InquiryRow) -> Self {
        let attribution = r.attribution();
        Self {
            id: r.id,
            status: r.status,
            need: r.need,
            r#use: r.r#use,
            tax: r.tax,
            company: r.company,
            contact: r.contact,
            phone: r.phone,
            email: r.email,
            wechat: r.wechat,
            message: r.message,
            tax_cny_per_year: r.tax_cny_per_year,
            area_sqm: r.area_sqm,
            article: r.article_id.map(|id| ArticleView {
                id,
                url: r.article_url,
                title: r.article_title,
            }),
            attribution,
            flags: r.flags,
            submission_count: r.submission_count,
            assignee: r.assignee,
            consent: r.consent,
            anonymised: r.anonymised_at.is_some(),
            received_at: r.received_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RelatedItem {
    pub id: Uuid,
    pub received_at: DateTime<Utc>,
    pub status: Status,
    pub article: Option<ArticleView>,
}

impl From<RelatedRow> for RelatedItem {
    fn from(r: RelatedRow) -> Self {
        Self {
            id: r.id,
            received_at: r.received_at,
            status: r.status,
            article: r.article_id.map(|id| ArticleView {
                id,
                url: r.article_url,
                title: r.article_title,
            }),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InquiryDetail {
    #[serde(flatten)]
    pub item: InquiryItem,
    pub notifications: Vec<NotificationView>,
    /// Oldest first, at most 100 events a page (SPEC §4).
    pub timeline: Vec<EventView>,
    /// The `timeline_cursor` of the next page; `null` on the last.
    pub timeline_next_cursor: Option<String>,
    pub related: Vec<RelatedItem>,
    pub allowed_transitions: &'static [Status],
    #[serde(skip)]
    pub version: i32,
}

impl InquiryDetail {
    /// The detail as read (its timeline up to `timeline_limit` + 1 events: the extra one says
    /// there is a next page).
    pub fn new(detail: Detail, timeline_limit: usize) -> Self {
        let Detail {
            row,
            notifications,
            mut timeline,
            related,
        } = detail;
        let timeline_next_cursor = if timeline.len() > timeline_limit {
            timeline.truncate(timeline_limit);
            timeline.last().map(|e| e.seq.to_string())
        } else {
            None
        };
        let allowed = row.status.allowed_transitions();
        let version = row.version;
        Self {
            item: row.into(),
            notifications: notifications.into_iter().map(Into::into).collect(),
            timeline: timeline.into_iter().map(Into::into).collect(),
            timeline_next_cursor,
            related: related.into_iter().map(Into::into).collect(),
            allowed_transitions: allowed,
            version,
        }
    }

    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

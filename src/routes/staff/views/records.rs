//! The staff API's answers other than the inquiry itself: timeline events, notifications,
//! notes, keys, the access log, articles and stats.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::notification::{MessageKind, OutboxState};
use crate::domain::role::Role;
use crate::domain::status::Status;
use crate::domain::timeline::EventKind;
use crate::storage::access_log::AccessEntry;
use crate::storage::api_keys::KeyRow;
use crate::storage::articles::ArticleSummary;
use crate::storage::events::EventRow;
use crate::storage::inquiries::changes::Note;
use crate::storage::outbox::NotificationRow;
use crate::storage::stats::{ArticleCount, DayCount, SourceCount, Stats, StatusCount};

/// One notification of an inquiry: an outbox row as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    pub id: Uuid,
    /// `email` (group robots and webhooks: their channel's name, SPEC §6).
    pub channel: String,
    /// `inquiry` (the new-inquiry message) or `supplement` (a repeat's `补充信息`).
    pub kind: MessageKind,
    pub recipient: String,
    /// `pending`, `sent`, `dead` or `cancelled` (`waiting` is shown as `pending`).
    pub state: OutboxState,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Held back by the flood guard (`notify.max_per_hour`): sent in the hour's summary.
    pub held_for_summary: bool,
}

impl From<NotificationRow> for NotificationView {
    fn from(r: NotificationRow) -> Self {
        Self {
            id: r.id,
            channel: r.channel,
            kind: r.kind,
            recipient: r.recipient,
            state: r.state.shown(),
            attempts: r.attempts,
            last_error: r.last_error,
            held_for_summary: r.held_for_summary,
        }
    }
}

/// One timeline event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = TimelineEvent)]
pub struct EventView {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    /// The event's facts; their names depend on `kind` (SPEC §4).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// A repeat's receipt: the id its sender was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Uuid>,
}

/// Facts an event keeps for the service's own use, never shown: the digest a repeat's text is
/// compared by.
const INTERNAL_EVENT_KEYS: [&str; 1] = ["text_digest"];

impl From<EventRow> for EventView {
    fn from(r: EventRow) -> Self {
        let mut data = r.data;
        if let Some(facts) = data.as_object_mut() {
            for key in INTERNAL_EVENT_KEYS {
                facts.remove(key);
            }
        }
        Self {
            kind: r.kind,
            at: r.at,
            actor: r.actor,
            data,
            receipt: r.receipt,
        }
    }
}

/// A staff note, as `POST …/notes` answers it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Note)]
pub struct NoteView {
    pub id: i64,
    pub body: String,
    pub actor: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<Note> for NoteView {
    fn from(n: Note) -> Self {
        Self {
            id: n.id,
            body: n.body,
            actor: n.actor,
            at: n.at,
        }
    }
}

/// A staff key (never its secret or hash; `prefix` tells keys apart).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Key)]
pub struct KeyView {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The key's first characters, as shown in lists.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> Self {
        Self {
            id: k.id,
            name: k.name,
            role: k.role,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new key: shown once, never again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    #[schema(inline)]
    pub key_row: KeyView,
    /// The key itself: `idk_` and 64 hex characters.
    pub key: String,
}

/// `GET /api/v1/keys`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyView>,
}

/// One entry of the access log: who read, exported or changed what.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AccessEntry)]
pub struct AccessEntryView {
    pub key_name: String,
    pub action: String,
    pub inquiry_id: Option<Uuid>,
    /// For list, search and export reads: `{"filters": {...}, "rows": n}`.
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    pub at: DateTime<Utc>,
}

impl From<AccessEntry> for AccessEntryView {
    fn from(e: AccessEntry) -> Self {
        Self {
            key_name: e.key_name,
            action: e.action,
            inquiry_id: e.inquiry_id,
            details: e.details,
            at: e.at,
        }
    }
}

/// `GET /api/v1/access-log`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessLog {
    pub items: Vec<AccessEntryView>,
}

/// An article with its inquiry count.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ArticleSummary)]
pub struct ArticleItem {
    pub id: Uuid,
    /// The canonical URL.
    pub url: String,
    pub title: Option<String>,
    /// Inquiries about it, spam not counted.
    pub inquiry_count: i64,
    pub last_inquiry_at: Option<DateTime<Utc>>,
}

impl From<ArticleSummary> for ArticleItem {
    fn from(a: ArticleSummary) -> Self {
        Self {
            id: a.id,
            url: a.url,
            title: a.title,
            inquiry_count: a.inquiry_count,
            last_inquiry_at: a.last_inquiry_at,
        }
    }
}

/// `GET /api/v1/stats`: counts over `[from, to)`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Stats)]
pub struct StatsView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Inquiries received in the range, spam excluded.
    pub total: i64,
    /// By day in Asia/Shanghai (`YYYY-MM-DD`), spam excluded.
    pub by_day: Vec<DayCountView>,
    /// Every status, spam included.
    pub by_status: Vec<StatusCountView>,
    /// The 50 articles with the most inquiries.
    pub by_article: Vec<ArticleCountView>,
    /// The 50 commonest `utm_source` values.
    pub by_utm_source: Vec<SourceCountView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = DayCount)]
pub struct DayCountView {
    pub day: String,
    pub count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = StatusCount)]
pub struct StatusCountView {
    pub status: Status,
    pub count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ArticleCount)]
pub struct ArticleCountView {
    pub article_id: Option<Uuid>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub count: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SourceCount)]
pub struct SourceCountView {
    pub utm_source: Option<String>,
    pub count: i64,
}

impl From<Stats> for StatsView {
    fn from(s: Stats) -> Self {
        let day = |c: DayCount| DayCountView {
            day: c.day,
            count: c.count,
        };
        let status = |c: StatusCount| StatusCountView {
            status: c.status,
            count: c.count,
        };
        let article = |c: ArticleCount| ArticleCountView {
            article_id: c.article_id,
            url: c.url,
            title: c.title,
            count: c.count,
        };
        let source = |c: SourceCount| SourceCountView {
            utm_source: c.utm_source,
            count: c.count,
        };
        Self {
            from: s.from,
            to: s.to,
            total: s.total,
            by_day: s.by_day.into_iter().map(day).collect(),
            by_status: s.by_status.into_iter().map(status).collect(),
            by_article: s.by_article.into_iter().map(article).collect(),
            by_utm_source: s.by_utm_source.into_iter().map(source).collect(),
        }
    }
}

//! The sales workflow on an inquiry (SPEC §4): its detail, status moves and the assignee, in
//! one transaction each, with their timeline events. Handlers parse the request and shape the answer; the rules
//! live here.

use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::article::ArticleUrl;
use crate::domain::inquiry::{linked_article, Source};
use crate::domain::status::Status;
use crate::domain::timeline::EventKind;
use crate::error::ApiError;
use crate::notify::routing;
use crate::settings::Settings;
use crate::storage::articles;
use crate::storage::events::{self, EventRow};
use crate::storage::inquiries::changes;
use crate::storage::inquiries::{self, InquiryRow, Position, RelatedRow};
use crate::storage::outbox::{self, NotificationRow};

/// What a staff member changes on an inquiry.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// The status to move to; `None` keeps it.
    pub status: Option<Status>,
    /// The new assignee; `Some(None)` unassigns, `None` keeps it.
    pub assignee: Option<Option<String>>,
}

/// Why a change was not made.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("no such inquiry")]
    NotFound,
    /// The inquiry changed since the caller read it (`If-Match`).
    #[error("the inquiry changed since it was read")]
    VersionMismatch,
    /// The status machine does not allow this move.
    #[error("status move not allowed: {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<WorkflowError> for ApiError {
    fn from(error: WorkflowError) -> Self {
        match error {
            WorkflowError::NotFound => ApiError::NotFound,
            WorkflowError::VersionMismatch => ApiError::PreconditionFailed,
            WorkflowError::InvalidTransition { from, to } => {
                ApiError::InvalidTransition { from, to }
            }
            WorkflowError::Database(e) => ApiError::from_db(e),
        }
    }
}

/// Applies a status or assignee change in one transaction, under the inquiry's row lock:
/// the move must be one the status machine allows (`Status::can_move_to`), the version the one
/// the caller read (`expected_version`, from `If-Match`; `None` skips the check). Each change
/// leaves a timeline event; a lead moved from spam back to new gets its article linked and the
/// notification it never had. A change that changes nothing writes nothing.
pub async fn apply_change(
    pool: &PgPool,
    settings: &Settings,
    id: Uuid,
    change: &Change,
    expected_version: Option<i32>,
    actor: &str,
) -> Result<(), WorkflowError> {
    let mut tx = pool.begin().await?;
    let Some(current) = changes::lock(&mut tx, id).await? else {
        return Err(WorkflowError::NotFound);
    };
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(WorkflowError::VersionMismatch);
    }
    let from = current.status;
    let to = change.status.unwrap_or(from);
    if to != from && !from.can_move_to(to) {
        return Err(WorkflowError::InvalidTransition { from, to });
    }
    let assignee = match &change.assignee {
        Some(new) => new.clone(),
        None => current.assignee.clone(),
    };
    if to == from && assignee == current.assignee {
        return Ok(()); // nothing changes: no event, same ETag
    }
    changes::set_status_and_assignee(&mut tx, id, to, assignee.as_deref()).await?;
    if to != from {
        let data = serde_json::json!({"from": from.as_str(), "to": to.as_str()});
        events::record(&mut tx, id, EventKind::StatusChanged, Some(actor), &data).await?;
        if from == Status::Spam && to == Status::New {
            // A lead rescued from spam gets the article (spam links no new one) and the
            // notification it never had.
            let url = match current.article_url.as_deref() {
                Some(u) => ArticleUrl::parse(u).ok(),
                None => rescued_article(&settings.intake, &current),
            };
            if let (Some(url), None) = (&url, &current.article_url) {
                let article = articles::find_or_create(&mut tx, url.as_str(), url.host()).await?;
                changes::link_article(&mut tx, id, article).await?;
            }
            let recipients = routing::recipients_for(&settings.notify, url.as_ref());
            outbox::enqueue(&mut tx, id, &recipients).await?;
        }
    }
    if assignee != current.assignee {
        let data = serde_json::json!({"from": current.assignee, "to": assignee});
        events::record(&mut tx, id, EventKind::Assigned, Some(actor), &data).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The article of a lead filed as spam at intake, from the URL it was sent from, as the intake
/// reads it: the landing URL, else the Referer.
fn rescued_article(
    intake: &crate::settings::IntakeSettings,
    current: &changes::Locked,
) -> Option<ArticleUrl> {
    let landing = current.landing_url.as_deref();
    let referrer = current.referrer.as_deref();
    landing
        .and_then(|u| linked_article(u, intake, Source::ArticleUrl))
        .or_else(|| referrer.and_then(|u| linked_article(u, intake, Source::Referer)))
}

/// Which part of an inquiry's timeline a detail carries.
#[derive(Debug, Clone, Copy)]
pub struct TimelinePage {
    /// The page starts after this event (0: the first page).
    pub after: i64,
    /// At most this many events.
    pub limit: i64,
}

/// Timeline events in one page of the detail (SPEC §4).
pub const TIMELINE_PAGE: i64 = 100;

impl TimelinePage {
    pub const FIRST: Self = Self {
        after: 0,
        limit: TIMELINE_PAGE,
    };
    /// Every event at once (a data subject's export).
    pub const ALL: Self = Self {
        after: 0,
        limit: i32::MAX as i64,
    };
}

/// Everything staff see of one inquiry, as stored.
#[derive(Debug)]
pub struct Detail {
    pub row: InquiryRow,
    /// Its outbox rows.
    pub notifications: Vec<NotificationRow>,
    /// One page of its timeline, oldest first, with one event more than the page's `limit`
    /// when there is a next page.
    pub timeline: Vec<EventRow>,
    /// Other inquiries from the same phone number.
    pub related: Vec<RelatedRow>,
}

/// The detail of inquiry `id` with one page of its timeline; `None` when there is no such
/// inquiry. Reads only: the caller records the read (`privacy::read`).
pub async fn detail(
    pool: &PgPool,
    id: Uuid,
    page: TimelinePage,
) -> Result<Option<Detail>, sqlx::Error> {
    let Some(row) = inquiries::get(pool, id).await? else {
        return Ok(None);
    };
    let notifications = outbox::of_inquiry(pool, id).await?;
    let timeline = events::timeline(pool, id, page.after, page.limit).await?;
    let related = match &row.phone {
        Some(phone) => {
            let here = Position {
                received_at: row.received_at,
                id: row.id,
            };
            inquiries::related(pool, phone, here).await?
        }
        None => Vec::new(),
    };
    Ok(Some(Detail {
        row,
        notifications,
        timeline,
        related,
    }))
}

/// A staff member's change ([`apply_change`]), then the inquiry as it now stands, with the first
/// page of its timeline. Errors: as [`apply_change`]; `NotFound` when it is gone meanwhile.
pub async fn change(
    pool: &PgPool,
    settings: &Settings,
    id: Uuid,
    change: &Change,
    expected_version: Option<i32>,
    actor: &str,
) -> Result<Detail, WorkflowError> {
    apply_change(pool, settings, id, change, expected_version, actor).await?;
    detail(pool, id, TimelinePage::FIRST)
        .await?
        .ok_or(WorkflowError::NotFound)
}

/// A staff note on inquiry `id`, on its timeline; `None` when there is no such inquiry.
pub async fn add_note(
    pool: &PgPool,
    id: Uuid,
    actor: &str,
    body: &str,
) -> Result<Option<changes::Note>, sqlx::Error> {
    changes::add_note(pool, id, actor, body).await
}

/// Sends a dead notification of inquiry `id` again (admin, SPEC §6), recorded on its timeline
/// and in the access log. `Ok(None)`: no such notification of that inquiry;
/// `Ok(Some(Err(state)))`: it is not dead; `Ok(Some(Ok(row)))`: the notification, pending.
pub async fn retry_notification(
    pool: &PgPool,
    staff: &crate::auth::Staff,
    id: Uuid,
    notification: Uuid,
) -> Result<Option<Result<NotificationRow, crate::domain::notification::OutboxState>>, sqlx::Error>
{
    match outbox::retry(pool, id, notification, &staff.name).await? {
        None => Ok(None),
        Some(Err(state)) => Ok(Some(Err(state))),
        Some(Ok(())) => {
            crate::privacy::record_action(pool, staff, "retry_notification", Some(id)).await?;
            let row = outbox::of_inquiry(pool, id)
                .await?
                .into_iter()
                .find(|n| n.id == notification);
            Ok(row.map(Ok))
        }
    }
}

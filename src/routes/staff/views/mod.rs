//! What the staff API answers: its wire types. Storage rows are never served as they are; each
//! answer is one of these, built from rows by `From`, so that renaming a column or adding one
//! to a row never changes the public JSON by accident (the OpenAPI document is derived from
//! these types; their schema names are the API's nouns — `Notification`, `TimelineEvent`,
//! `Key`, `Stats` — set with `schema(as = …)`, never a storage row's name).

mod inquiry;
mod records;

pub use inquiry::{ArticleView, InquiryDetail, InquiryItem, Page, RelatedItem};
pub use records::{
    AccessEntryView, AccessLog, ArticleCountView, ArticleItem, CreatedKey, DayCountView, EventView,
    KeyList, KeyView, NoteView, NotificationView, SourceCountView, StatsView, StatusCountView,
};

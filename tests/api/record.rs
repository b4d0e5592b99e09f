//! The intake's one typed record: what the service sends is what `inquiries` holds. The
//! database call reads the record with `jsonb_populate_record(NULL::inquiries, …)`, so a name
//! that is no column would be dropped without a word, and a column the record leaves out would
//! be NULL; these tests make either a failure instead.

use std::collections::BTreeSet;

use inquiry_desk::domain::inquiry::{Attribution, NewInquiry};
use inquiry_desk::domain::phone::PhoneNumber;
use inquiry_desk::domain::status::Status;
use inquiry_desk::storage::intake_record::InquiryRecord;
use sqlx::PgPool;

use crate::helpers::migrated_database;

/// The columns `intake_record` sets itself: the article, the counters and the times.
const SET_BY_THE_FUNCTION: [&str; 7] = [
    "article_id",
    "submission_count",
    "version",
    "assignee",
    "anonymised_at",
    "received_at",
    "updated_at",
];

#[tokio::test]
async fn the_record_names_every_column_of_inquiries_and_nothing_else() {
    let pool = PgPool::connect(&migrated_database().await).await.unwrap();
    let columns: BTreeSet<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'inquiries'",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let inquiry = NewInquiry {
        need: "求租厂房".into(),
        use_: None,
        tax: None,
        company: None,
        contact: Some("王总".into()),
        phone: PhoneNumber::parse("13912345678"),
        email: None,
        wechat: None,
        message: None,
        article: None,
        attribution: Attribution::default(),
        flags: Vec::new(),
        consent: None,
        tax_cny_per_year: None,
        area_sqm: None,
    };
    let record = InquiryRecord {
        id: uuid::Uuid::now_v7(),
        status: Status::New,
        inquiry: &inquiry,
        client_ip: None,
        user_agent: None,
        privacy_notice_version: None,
        spam_reason: None,
        search_keys: Vec::new(),
    };
    let sent: BTreeSet<String> = serde_json::to_value(&record)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for name in &sent {
        assert!(columns.contains(name), "{name} is no column of inquiries");
    }
    let left_out: BTreeSet<String> = columns.difference(&sent).cloned().collect();
    let expected: BTreeSet<String> = SET_BY_THE_FUNCTION.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        left_out, expected,
        "a column of inquiries is neither in the record (NewInquiry, InquiryRecord) nor set by \
         intake_record: it would be stored as NULL"
    );
}

//! The closed code sets (statuses, event kinds, outbox states and kinds, roles) agree between
//! the Rust enums and the schema's CHECK constraints, and a code the enum does not know is an
//! error when read back, never a default.

use std::collections::BTreeSet;

use inquiry_desk::domain::notification::{MessageKind, OutboxState};
use inquiry_desk::domain::role::Role;
use inquiry_desk::domain::status::Status;
use inquiry_desk::domain::timeline::EventKind;
use sqlx::PgPool;

use crate::helpers::migrated_database;

/// The codes a CHECK constraint allows (`col = ANY (ARRAY['a'::text, …])` or `col IN (…)`).
async fn allowed_by(pool: &PgPool, constraint: &str) -> BTreeSet<String> {
    let definition: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1",
    )
    .bind(constraint)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("constraint {constraint}: {e}"));
    definition
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn codes<T: Copy>(all: &[T], as_str: fn(T) -> &'static str) -> BTreeSet<String> {
    all.iter().map(|&v| as_str(v).to_string()).collect()
}

#[tokio::test]
async fn every_enum_has_exactly_the_codes_its_check_allows() {
    let pool = PgPool::connect(&migrated_database().await).await.unwrap();
    let cases = [
        ("inquiries_status_check", codes(Status::ALL, Status::as_str)),
        (
            "inquiry_events_kind_check",
            codes(EventKind::ALL, EventKind::as_str),
        ),
        (
            "outbox_state_check",
            codes(OutboxState::ALL, OutboxState::as_str),
        ),
        (
            "outbox_kind_check",
            codes(MessageKind::ALL, MessageKind::as_str),
        ),
        ("api_keys_role_check", codes(Role::ALL, Role::as_str)),
    ];
    for (constraint, expected) in cases {
        assert_eq!(
            allowed_by(&pool, constraint).await,
            expected,
            "{constraint}"
        );
    }
}

/// Whether `text`, read back from the database, decodes as a `T`.
async fn decodes<T>(pool: &PgPool, text: &str) -> bool
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar::<_, T>("SELECT $1::text")
        .bind(text)
        .fetch_one(pool)
        .await
        .is_ok()
}

#[tokio::test]
async fn an_unknown_code_read_back_is_an_error_not_a_default() {
    let pool = PgPool::connect(&migrated_database().await).await.unwrap();
    let known: Status = sqlx::query_scalar("SELECT 'won'::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(known, Status::Won);
    for text in ["bogus", "Won", " won", ""] {
        assert!(
            !decodes::<Status>(&pool, text).await,
            "{text:?} read as a status"
        );
        assert!(
            !decodes::<EventKind>(&pool, text).await,
            "{text:?} read as an event kind"
        );
        assert!(
            !decodes::<OutboxState>(&pool, text).await,
            "{text:?} read as an outbox state"
        );
        assert!(
            !decodes::<Role>(&pool, text).await,
            "{text:?} read as a role"
        );
    }
    // The schema refuses what the enum does not know.
    let refused = sqlx::query(
        "INSERT INTO inquiry_events (inquiry_id, kind, data)
         VALUES (gen_random_uuid(), 'deleted', '{}'::jsonb)",
    )
    .execute(&pool)
    .await
    .expect_err("an unknown event kind is refused");
    let code = refused.as_database_error().and_then(|e| e.code());
    // 23514: check_violation (CHECKs run before the foreign key's trigger).
    assert_eq!(code.as_deref(), Some("23514"), "{refused}");
}

//! Every SQL statement of the service, its connection pools (`connection`, `writers`) and the
//! migrations. Functions take a connection or executor and return
//! `sqlx::Error`; they know nothing of HTTP.

pub mod access_log;
pub mod api_keys;
pub mod articles;
pub mod channels;
pub mod connection;
pub mod events;
pub mod idempotency;
pub mod inquiries;
pub mod intake_record;
pub mod outbox;
pub mod search;
pub mod secrets;
pub mod stats;
pub mod writers;

//! Notification of sales contacts: who gets which inquiry (routing), the mail (templates), the
//! transports, and the outbox worker that sends reliably.

pub mod channel_send;
pub mod channel_worker;
pub mod mail;
pub mod robot;
pub mod routing;
pub mod sign;
pub mod smtp_pool;
pub mod transport;
pub mod wakeup;
pub mod webhook;
pub mod worker;

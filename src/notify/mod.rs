//! Notification of sales contacts: who gets which inquiry (routing); sending comes with the
//! outbox worker.

pub mod routing;

//! HTTP handlers. They parse requests, call the domain and storage layers, and shape answers;
//! they hold no SQL.

pub mod body_deadline;
pub mod client;
pub mod cors;
pub mod embed;
pub mod form_token;
pub mod headers;
pub mod health;
pub mod inbox;
pub mod intake;
pub mod intake_body;
pub mod pages;
pub mod problems;
pub mod staff;
pub mod table;

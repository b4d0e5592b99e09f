//! inquiry-desk: the lead-capture backend of an industrial-property website.

pub mod auth;
pub mod cli;
pub mod domain;
pub mod error;
pub mod intake;
pub mod keys;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod privacy;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod storage;
pub mod tasks;
pub mod telemetry;
pub mod workflow;

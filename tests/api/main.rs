//! One integration-test binary: every test talks to a real PostgreSQL through a fresh database.

// Test and benchmark code may unwrap: a failure there is the run failing.
#![allow(clippy::unwrap_used)]

mod abuse;
mod binary;
mod channel_send;
mod channels;
mod codes;
mod config;
mod database_outage;
mod fuzz;
mod health;
mod helpers;
mod intake_accept;
mod intake_dedup;
mod intake_html;
mod intake_phone;
mod intake_reject;
mod metrics;
mod notify;
mod openapi;
mod phone_reference;
mod privacy;
mod real_input;
mod receipts;
mod record;
mod robots;
mod search;
mod smtp_tls;
mod staff_auth;
mod staff_bad_values;
mod staff_export;
mod staff_list;
mod staff_reports;
mod staff_workflow;
mod surface;
mod test_app;
mod web_pages;

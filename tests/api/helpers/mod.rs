//! Spawns the real application on a free port with a fresh database, and typed helpers.
//!
//! Split by what each part provides (`launcher` is shared with the benchmarks); everything is re-exported here, so tests use
//! `crate::helpers::…` whatever part it comes from.

mod app;
mod db_proxy;
#[path = "../../support/launcher.rs"]
pub mod launcher;
mod robot_peer;
mod smtp;
mod tls;

pub use app::*;
pub use db_proxy::*;
pub use robot_peer::*;
pub use smtp::*;
pub use tls::*;

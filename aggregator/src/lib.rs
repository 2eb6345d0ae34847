//! Usage aggregator: receives heartbeats and events from the browser client, anonymizes the
//! sender, derives sessions and writes rows in group commits to MySQL or the embedded SQLite store.

// A panic in the server answers nothing and may lose a flush: outside tests, errors are handled or
// an `expect` says why it cannot fail. (Not in the workspace list: the test crates unwrap freely.)
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod adopt;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod fold;
pub mod http;
pub mod jobs;
pub mod mcp;
pub mod metrics;
pub mod pipeline;
pub mod report;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod visitor;

//! The report routes: each checks its query into the report's parameters (or a 422 naming the
//! parameter) in its `*_answer` function, which the MCP server's tools call too, and reads the
//! report with its module of `crate::report` (the answer and its CSV table are in
//! `domain::report`). `?format=` picks JSON or CSV (`export::Answer`).

mod activity;
mod ranked;

// The routes and their `*_answer` functions, where the router, the OpenAPI document, the CLI and
// the MCP tools name them.
pub use activity::*;
pub use ranked::*;

use super::StatsError;
use crate::domain::report::dates::BadRange;

/// An optional count from 1 to `max`.
fn bounded(
    field: &'static str,
    text: Option<&str>,
    default: u32,
    max: u32,
) -> Result<u32, StatsError> {
    match text {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                StatsError::BadQuery(BadRange {
                    field,
                    reason: format!("{field} must be a number from 1 to {max}"),
                })
            }),
    }
}

//! What both stores share beyond the interface: rows of adopting old databases, and what a
//! flush's new runs add to session counters.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::domain::ingest::ProgramRow;
use crate::visitor::StoredIp;

/// A session row as the adoption reads it.
#[derive(Debug)]
pub struct AdoptedRow {
    pub id: i64,
    pub ip: Option<StoredIp>,
    pub user_agent: Option<String>,
    pub site: String,
    pub start_time: NaiveDateTime,
    pub visitor_hash: Option<String>,
    /// The reduced agent, when the row has one already (written by this aggregator).
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

/// What replaces the identifying columns of a row.
#[derive(Debug, Clone)]
pub struct AnonymizedRow {
    pub id: i64,
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

/// What the runs a flush inserts add to a session's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub runs: u32,
    pub lines: u64,
    pub errors: u32,
}

impl Counters {
    pub fn of<'a>(runs: &[&'a ProgramRow]) -> HashMap<&'a str, Counters> {
        let mut by_session: HashMap<&str, Counters> = HashMap::new();
        for row in runs {
            let c = by_session.entry(row.session_id.as_str()).or_default();
            c.runs += 1;
            c.lines += u64::from(row.run.lines_executed);
            c.errors += u32::from(!row.run.success);
        }
        by_session
    }
}

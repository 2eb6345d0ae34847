//! What both stores share beyond the interface: rows of adopting old databases.

use chrono::NaiveDateTime;

use crate::visitor::StoredIp;

/// A session row as the adoption reads it.
#[derive(Debug)]
pub struct AdoptionRow {
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
pub struct AdoptionRewrite {
    pub id: i64,
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

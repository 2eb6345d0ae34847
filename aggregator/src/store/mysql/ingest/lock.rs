//! The flush's first round trip when it has sessions to read: it begins the transaction and
//! reads the stored facts of those sessions, locking their rows until it ends.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::rows::{list, StoredSession};
use super::CHUNK;
use crate::domain::session::StoredTimes;
use crate::store::StoreError;

/// Microseconds since 1970 of a DATETIME, computed by the server: parsing datetime text was 7 %
/// of the aggregator's CPU.
fn micros(column: &str) -> String {
    format!("TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', {column})")
}

fn utc(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}

type FactsRow = (
    String,
    u64,
    bool,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    u64,
    u64,
    u64,
    Option<u64>,
);

/// Begins the transaction and returns the stored facts of the sessions `ids`, locked until it
/// ends (a stalled flush shows as `SELECT session_id ... FOR UPDATE` in the process list).
pub async fn begin_and_lock(
    conn: &mut Conn,
    ids: &[&str],
) -> Result<HashMap<String, StoredSession>, StoreError> {
    let mut sql = String::from("START TRANSACTION;SAVEPOINT flush");
    for chunk in ids.chunks(CHUNK) {
        sql.push(';');
        let prefix = format!(
            "SELECT session_id, id, device IS NULL, {}, {}, {}, {}, max_offset_ms, visible_ms, active_ms, end_offset_ms \
             FROM ide_sessions WHERE session_id IN (",
            micros("first_seen_at"),
            micros("last_seen_at"),
            micros("start_estimate"),
            micros("start_time"),
        );
        sql.push_str(&list(&prefix, chunk, ") FOR UPDATE"));
    }
    let mut sessions = HashMap::with_capacity(ids.len());
    let mut result = conn.query_iter(sql).await?;
    // One result set per statement; START TRANSACTION and SAVEPOINT give empty ones.
    while !result.is_empty() {
        for row in result.collect::<FactsRow>().await? {
            let (
                id,
                key,
                no_identity,
                first,
                last,
                estimate,
                start,
                max_offset_ms,
                visible_ms,
                active_ms,
                end_offset_ms,
            ) = row;
            // Every DATETIME (years 1000 to 9999) is within chrono's range.
            let Some(start) = utc(start) else { continue };
            let times = StoredTimes {
                start_time: start,
                first_seen: first.and_then(utc),
                last_seen: last.and_then(utc),
                start_estimate: estimate.and_then(utc),
            };
            let facts = times.facts(max_offset_ms, visible_ms, active_ms, end_offset_ms);
            sessions.insert(
                id,
                StoredSession {
                    key,
                    facts,
                    no_identity,
                },
            );
        }
    }
    Ok(sessions)
}

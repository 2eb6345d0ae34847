//! SQL of the write path: one flush is one transaction of a few multi-row statements, whatever
//! the number of requests in it (group commit), sent in two round trips. Program counters grow by
//! the runs a flush really inserts (checked against the stored event ids in the same
//! transaction), so a retried batch never doubles them and no flush re-reads a session's history.

mod literal;

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use self::literal::{push_row, Literal};
use super::{Store, StoreError};
use crate::domain::event::Id128;
use crate::domain::ingest::ProgramRow;
use crate::domain::session::SessionFacts;
use crate::pipeline::batch::Flush;

/// Rows per statement: big enough to amortize round trips, small enough for any packet limit
/// (a row is at most about 4.5 KB of SQL, so 500 stay under the 4 MB max_allowed_packet of
/// older servers).
const CHUNK: usize = 500;

/// Statements sent in one round trip at most: well under any server's max_allowed_packet.
const BATCH_BYTES: usize = 1 << 20;

/// A connection kept idle longer than this goes back to the pool rather than risk meeting the
/// server's wait_timeout in the middle of a flush.
const KEEP_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// The writer's own connection, kept from one flush to the next: taking one from the pool for
/// each flush cost a reset round trip and a fresh session every time (the profile of a lightly
/// loaded aggregator showed that per-flush cost above everything else).
#[derive(Default)]
pub struct WriterConn {
    held: Option<(Conn, Instant)>,
}

impl Store {
    /// Commits a flush, or nothing of it. `slack` bounds session starts (see `SessionFacts::derive`).
    ///
    /// Two round trips whatever the flush holds: one reads (and locks) what the flush builds on,
    /// the other writes and commits. Every round trip waits for the database to be scheduled, and
    /// on a loaded machine those waits, not the work, made a flush slow.
    pub async fn write_flush(
        &self,
        writer: &mut WriterConn,
        flush: &Flush,
        slack: Duration,
    ) -> Result<(), StoreError> {
        let mut conn = match writer.held.take() {
            Some((conn, used)) if used.elapsed() < KEEP_IDLE => conn,
            _ => {
                let mut conn = self.pool().get_conn().await?;
                // Back in the pool the connection is reset, which rolls back a transaction left
                // open by an error or by a flush abandoned at its timeout (the future, and the
                // connection with it, is dropped): nothing of a failed flush ever commits. The
                // reset also ends the session setting below.
                conn.reset_connection(true);
                // Read committed: no gap locks, so replicas inserting new sessions do not deadlock.
                conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    .await?;
                conn
            }
        };
        let mut outcome = write(&mut conn, flush, slack).await;
        // A deadlock (with the idle sweeper, say) rolled the whole transaction back: try again
        // once at once rather than answer 503 for every request of the flush.
        if outcome.as_ref().is_err_and(is_deadlock) {
            let _ = conn.query_drop("ROLLBACK").await;
            outcome = write(&mut conn, flush, slack).await;
        }
        match outcome {
            Ok(()) => writer.held = Some((conn, Instant::now())),
            // Dropped, so back to the pool and reset.
            Err(_) => {
                let _ = conn.query_drop("ROLLBACK").await;
            }
        }
        outcome
    }
}

fn is_deadlock(error: &StoreError) -> bool {
    matches!(error, StoreError::Database(mysql_async::Error::Server(e)) if e.code == 1213)
}

async fn write(conn: &mut Conn, flush: &Flush, slack: Duration) -> Result<(), StoreError> {
    let (stored, known) = read_locked(conn, flush).await?;
    let new_runs: Vec<&ProgramRow> = flush
        .programs
        .iter()
        .filter(|r| !known.contains(&r.event_id))
        .collect();
    let mut statements = upsert_sessions(flush, &stored, &Counters::of(&new_runs), slack);
    statements.extend(insert_programs(&new_runs));
    statements.extend(insert_features(flush));
    statements.push("COMMIT".into());
    let mut script = String::with_capacity(BATCH_BYTES);
    for statement in statements {
        if !script.is_empty() && script.len() + statement.len() > BATCH_BYTES {
            conn.query_drop(std::mem::take(&mut script)).await?;
        }
        if !script.is_empty() {
            script.push(';');
        }
        script.push_str(&statement);
    }
    conn.query_drop(script).await?;
    Ok(())
}

/// What the runs a flush inserts add to a session's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counters {
    runs: u32,
    lines: u64,
    errors: u32,
}

impl Counters {
    fn of<'a>(runs: &[&'a ProgramRow]) -> HashMap<&'a str, Counters> {
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

/// A stored session: its primary key (so that its upsert goes straight to the row) and facts.
struct StoredSession {
    key: u64,
    facts: SessionFacts,
}

/// `prefix` followed by the literals of `items` separated by commas, then `suffix`.
fn list<T: Literal + ?Sized>(prefix: &str, items: &[&T], suffix: &str) -> String {
    let mut sql = String::with_capacity(prefix.len() + suffix.len() + items.len() * 40);
    sql.push_str(prefix);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        item.write_to(&mut sql);
    }
    sql.push_str(suffix);
    sql
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

type FactsRow = (
    String,
    u64,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    u64,
    u64,
    u64,
    Option<u64>,
);

/// Begins the transaction, and returns the stored facts of the flush's sessions (locked until
/// it ends) and which of its runs are stored already. The sessions are read last so that a
/// stalled flush shows as `SELECT session_id ... FOR UPDATE` in the process list. Runs found
/// missing here are inserted with a plain INSERT: should a concurrent writer store one of them
/// before this transaction does, the flush fails and is retried instead of counting it twice.
async fn read_locked(
    conn: &mut Conn,
    flush: &Flush,
) -> Result<(HashMap<String, StoredSession>, HashSet<Id128>), StoreError> {
    let mut sql = String::from("SET TRANSACTION ISOLATION LEVEL READ COMMITTED;START TRANSACTION");
    let runs: Vec<&Id128> = flush.programs.iter().map(|r| &r.event_id).collect();
    for chunk in runs.chunks(CHUNK) {
        sql.push(';');
        sql.push_str(&list(
            "SELECT event_id FROM program_executions WHERE event_id IN (",
            chunk,
            ")",
        ));
    }
    let ids: Vec<&String> = flush.sessions.iter().map(|s| &s.session_id).collect();
    for chunk in ids.chunks(CHUNK) {
        sql.push(';');
        sql.push_str(&list(
            "SELECT session_id, id, first_seen_at, last_seen_at, start_estimate, start_time, max_offset_ms, \
             visible_ms, active_ms, end_offset_ms FROM ide_sessions WHERE session_id IN (",
            chunk,
            ") FOR UPDATE",
        ));
    }
    let mut sessions = HashMap::with_capacity(ids.len());
    let mut known = HashSet::new();
    let mut result = conn.query_iter(sql).await?;
    // One result set per statement; START TRANSACTION gives an empty one.
    while !result.is_empty() {
        for row in result.collect::<Row>().await? {
            if row.len() == 1 {
                let id: Vec<u8> = mysql_async::from_row(row);
                known.extend(<[u8; 16]>::try_from(id.as_slice()).ok().map(Id128));
            } else {
                let (
                    id,
                    key,
                    first,
                    last,
                    estimate,
                    start,
                    max_offset_ms,
                    visible_ms,
                    active_ms,
                    end_offset_ms,
                ): FactsRow = mysql_async::from_row(row);
                // Rows from before heartbeat sessions (an adopted database) know only their start.
                let start = utc(start);
                let facts = SessionFacts {
                    first_seen: first.map_or(start, utc),
                    last_seen: last.map_or(start, utc),
                    start_estimate: estimate.map_or(start, utc),
                    max_offset_ms,
                    visible_ms,
                    active_ms,
                    end_offset_ms,
                };
                sessions.insert(id, StoredSession { key, facts });
            }
        }
    }
    drop(result);
    Ok((sessions, known))
}

fn upsert_sessions(
    flush: &Flush,
    stored: &HashMap<String, StoredSession>,
    added: &HashMap<&str, Counters>,
    slack: Duration,
) -> Vec<String> {
    let mut statements = Vec::new();
    for chunk in flush.sessions.chunks(CHUNK) {
        let mut sql = String::with_capacity(4096 + chunk.len() * 400);
        sql.push_str(
            "INSERT INTO ide_sessions (id, session_id, site_id, visitor_hash, ip_address, user_agent, browser, os, \
             device, first_seen_at, last_seen_at, start_estimate, max_offset_ms, visible_ms, active_ms, end_offset_ms, \
             start_time, last_activity, end_time, duration_seconds, active_seconds, programs_run, lines_executed, \
             errors_encountered) VALUES ",
        );
        for (i, update) in chunk.iter().enumerate() {
            let old = stored.get(&update.session_id);
            let facts = old.map_or(update.facts, |old| old.facts.merge(update.facts));
            let times = facts.derive(slack);
            let who = &update.identity;
            let add = added
                .get(update.session_id.as_str())
                .copied()
                .unwrap_or_default();
            push_row(
                &mut sql,
                i == 0,
                &[
                    // A stored row's key sends the upsert straight to it; a new row gets one.
                    &old.map(|o| o.key),
                    &update.session_id,
                    &who.site,
                    &who.visitor_hash,
                    &who.ip_address,
                    &who.user_agent,
                    &who.browser,
                    &who.os,
                    &who.device,
                    &facts.first_seen,
                    &facts.last_seen,
                    &facts.start_estimate,
                    &facts.max_offset_ms,
                    &facts.visible_ms,
                    &facts.active_ms,
                    &facts.end_offset_ms,
                    &times.start_time,
                    &times.last_activity,
                    &times.end_time,
                    &times.duration_seconds,
                    &times.active_seconds,
                    &add.runs,
                    &add.lines,
                    &add.errors,
                ],
            );
        }
        // Facts merge again in SQL as a safety net for a concurrent replica; they are monotone.
        sql.push_str(
            " ON DUPLICATE KEY UPDATE \
             first_seen_at = LEAST(COALESCE(first_seen_at, VALUES(first_seen_at)), VALUES(first_seen_at)), \
             last_seen_at = GREATEST(COALESCE(last_seen_at, VALUES(last_seen_at)), VALUES(last_seen_at)), \
             start_estimate = LEAST(COALESCE(start_estimate, VALUES(start_estimate)), VALUES(start_estimate)), \
             max_offset_ms = GREATEST(max_offset_ms, VALUES(max_offset_ms)), \
             visible_ms = GREATEST(visible_ms, VALUES(visible_ms)), \
             active_ms = GREATEST(active_ms, VALUES(active_ms)), \
             end_offset_ms = VALUES(end_offset_ms), \
             start_time = VALUES(start_time), last_activity = VALUES(last_activity), end_time = VALUES(end_time), \
             duration_seconds = VALUES(duration_seconds), active_seconds = VALUES(active_seconds), \
             programs_run = programs_run + VALUES(programs_run), \
             lines_executed = lines_executed + VALUES(lines_executed), \
             errors_encountered = errors_encountered + VALUES(errors_encountered)",
        );
        statements.push(sql);
    }
    statements
}

/// A plain INSERT of runs found missing by [`read_locked`]: a duplicate fails the flush.
fn insert_programs(runs: &[&ProgramRow]) -> Vec<String> {
    let mut statements = Vec::new();
    for chunk in runs.chunks(CHUNK) {
        let mut sql = String::with_capacity(256 + chunk.len() * 200);
        sql.push_str(
            "INSERT INTO program_executions (event_id, session_id, seq, timestamp, program_lines, execution_time_ms, \
             lines_executed, success, error_message) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            push_row(
                &mut sql,
                i == 0,
                &[
                    &row.event_id,
                    &row.session_id,
                    &row.seq,
                    &row.timestamp,
                    &row.run.program_lines,
                    &row.run.execution_time_ms,
                    &row.run.lines_executed,
                    &row.run.success,
                    &row.run.error_message,
                ],
            );
        }
        statements.push(sql);
    }
    statements
}

fn insert_features(flush: &Flush) -> Vec<String> {
    let mut statements = Vec::new();
    for chunk in flush.features.chunks(CHUNK) {
        let mut sql = String::with_capacity(256 + chunk.len() * 200);
        sql.push_str(
            "INSERT INTO feature_usage (event_id, session_id, seq, timestamp, feature_name, feature_data) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            push_row(
                &mut sql,
                i == 0,
                &[
                    &row.event_id,
                    &row.session_id,
                    &row.seq,
                    &row.timestamp,
                    &row.name,
                    &row.data,
                ],
            );
        }
        sql.push_str(" ON DUPLICATE KEY UPDATE event_id = event_id");
        statements.push(sql);
    }
    statements
}

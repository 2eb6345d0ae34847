//! SQL of the write path: one flush is one transaction of a few multi-row statements, whatever
//! the number of requests in it (group commit).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{IsolationLevel, Transaction, TxOpts, Value};

use super::{Store, StoreError};
use crate::domain::session::SessionFacts;
use crate::pipeline::batch::Flush;

/// Rows per statement: big enough to amortize round trips, small enough for any packet limit.
const CHUNK: usize = 500;

impl Store {
    /// Commits a flush, or nothing of it. `slack` bounds session starts (see `SessionFacts::derive`).
    pub async fn write_flush(&self, flush: &Flush, slack: Duration) -> Result<(), StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut options = TxOpts::default();
        // Read committed: no gap locks, so replicas inserting new sessions do not deadlock.
        options.with_isolation_level(Some(IsolationLevel::ReadCommitted));
        let mut tx = conn.start_transaction(options).await?;
        upsert_sessions(&mut tx, flush, slack).await?;
        insert_programs(&mut tx, flush).await?;
        insert_features(&mut tx, flush).await?;
        recount_runs(&mut tx, &flush.sessions_with_runs()).await?;
        tx.commit().await?;
        Ok(())
    }
}

fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(","));
    vec![row; rows].join(",")
}

fn time(at: DateTime<Utc>) -> Value {
    Value::from(at.naive_utc())
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

type FactsRow = (
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    NaiveDateTime,
    u64,
    u64,
    u64,
    Option<u64>,
);

/// The stored facts of these sessions, locked until the transaction ends.
async fn load_facts(
    tx: &mut Transaction<'_>,
    ids: &[&str],
) -> Result<HashMap<String, SessionFacts>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "SELECT session_id, first_seen_at, last_seen_at, start_estimate, start_time, max_offset_ms, visible_ms, \
             active_ms, end_offset_ms FROM ide_sessions WHERE session_id IN ({}) FOR UPDATE",
            vec!["?"; chunk.len()].join(",")
        );
        let rows: Vec<FactsRow> = tx.exec(sql, chunk.to_vec()).await?;
        for (
            id,
            first,
            last,
            estimate,
            start,
            max_offset_ms,
            visible_ms,
            active_ms,
            end_offset_ms,
        ) in rows
        {
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
            found.insert(id, facts);
        }
    }
    Ok(found)
}

async fn upsert_sessions(
    tx: &mut Transaction<'_>,
    flush: &Flush,
    slack: Duration,
) -> Result<(), StoreError> {
    let ids: Vec<&str> = flush
        .sessions
        .iter()
        .map(|s| s.session_id.as_str())
        .collect();
    let stored = load_facts(tx, &ids).await?;
    for chunk in flush.sessions.chunks(CHUNK) {
        let mut params = Vec::with_capacity(chunk.len() * 20);
        for update in chunk {
            let facts = stored
                .get(&update.session_id)
                .map_or(update.facts, |old| old.merge(update.facts));
            let times = facts.derive(slack);
            let who = &update.identity;
            params.extend([
                Value::from(&update.session_id),
                Value::from(&who.site),
                Value::from(&who.visitor_hash),
                Value::from(&who.ip_address),
                Value::from(&who.user_agent),
                Value::from(&who.browser),
                Value::from(&who.os),
                Value::from(&who.device),
                time(facts.first_seen),
                time(facts.last_seen),
                time(facts.start_estimate),
                Value::from(facts.max_offset_ms),
                Value::from(facts.visible_ms),
                Value::from(facts.active_ms),
                Value::from(facts.end_offset_ms),
                time(times.start_time),
                time(times.last_activity),
                Value::from(times.end_time.map(|t| t.naive_utc())),
                Value::from(times.duration_seconds),
                Value::from(times.active_seconds),
            ]);
        }
        // Facts merge again in SQL as a safety net for a concurrent replica; they are monotone.
        let sql = format!(
            "INSERT INTO ide_sessions (session_id, site_id, visitor_hash, ip_address, user_agent, browser, os, device, \
             first_seen_at, last_seen_at, start_estimate, max_offset_ms, visible_ms, active_ms, end_offset_ms, \
             start_time, last_activity, end_time, duration_seconds, active_seconds) VALUES {} \
             ON DUPLICATE KEY UPDATE \
             first_seen_at = LEAST(COALESCE(first_seen_at, VALUES(first_seen_at)), VALUES(first_seen_at)), \
             last_seen_at = GREATEST(COALESCE(last_seen_at, VALUES(last_seen_at)), VALUES(last_seen_at)), \
             start_estimate = LEAST(COALESCE(start_estimate, VALUES(start_estimate)), VALUES(start_estimate)), \
             max_offset_ms = GREATEST(max_offset_ms, VALUES(max_offset_ms)), \
             visible_ms = GREATEST(visible_ms, VALUES(visible_ms)), \
             active_ms = GREATEST(active_ms, VALUES(active_ms)), \
             end_offset_ms = VALUES(end_offset_ms), \
             start_time = VALUES(start_time), last_activity = VALUES(last_activity), end_time = VALUES(end_time), \
             duration_seconds = VALUES(duration_seconds), active_seconds = VALUES(active_seconds)",
            placeholders(chunk.len(), 20)
        );
        tx.exec_drop(sql, params).await?;
    }
    Ok(())
}

async fn insert_programs(tx: &mut Transaction<'_>, flush: &Flush) -> Result<(), StoreError> {
    for chunk in flush.programs.chunks(CHUNK) {
        let mut params = Vec::with_capacity(chunk.len() * 9);
        for row in chunk {
            params.extend([
                Value::from(row.event_id.0.to_vec()),
                Value::from(&row.session_id),
                Value::from(row.seq),
                time(row.timestamp),
                Value::from(row.run.program_lines),
                Value::from(row.run.execution_time_ms),
                Value::from(row.run.lines_executed),
                Value::from(row.run.success),
                Value::from(&row.run.error_message),
            ]);
        }
        let sql = format!(
            "INSERT INTO program_executions (event_id, session_id, seq, timestamp, program_lines, execution_time_ms, \
             lines_executed, success, error_message) VALUES {} ON DUPLICATE KEY UPDATE event_id = event_id",
            placeholders(chunk.len(), 9)
        );
        tx.exec_drop(sql, params).await?;
    }
    Ok(())
}

async fn insert_features(tx: &mut Transaction<'_>, flush: &Flush) -> Result<(), StoreError> {
    for chunk in flush.features.chunks(CHUNK) {
        let mut params = Vec::with_capacity(chunk.len() * 6);
        for row in chunk {
            params.extend([
                Value::from(row.event_id.0.to_vec()),
                Value::from(&row.session_id),
                Value::from(row.seq),
                time(row.timestamp),
                Value::from(&row.name),
                Value::from(&row.data),
            ]);
        }
        let sql = format!(
            "INSERT INTO feature_usage (event_id, session_id, seq, timestamp, feature_name, feature_data) VALUES {} \
             ON DUPLICATE KEY UPDATE event_id = event_id",
            placeholders(chunk.len(), 6)
        );
        tx.exec_drop(sql, params).await?;
    }
    Ok(())
}

/// Counters are counted from the stored runs, so a retried batch can never double them.
async fn recount_runs(tx: &mut Transaction<'_>, ids: &[&str]) -> Result<(), StoreError> {
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "UPDATE ide_sessions s JOIN (SELECT session_id, COUNT(*) AS runs, COALESCE(SUM(lines_executed), 0) AS executed, \
             COALESCE(SUM(success = 0), 0) AS errors FROM program_executions WHERE session_id IN ({}) GROUP BY session_id) p \
             ON p.session_id = s.session_id \
             SET s.programs_run = p.runs, s.lines_executed = p.executed, s.errors_encountered = p.errors",
            vec!["?"; chunk.len()].join(",")
        );
        tx.exec_drop(sql, chunk.to_vec()).await?;
    }
    Ok(())
}

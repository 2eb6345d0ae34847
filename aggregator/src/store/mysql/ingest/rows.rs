//! The statements that write a flush: one multi-row upsert of its sessions, inserts of its
//! program runs and feature events, the recount of its sessions' run counters, as SQL text (see
//! `literal`).

use std::collections::HashMap;

use super::literal::{push_row, ColumnDefault, Literal};
use crate::domain::flush::Flush;
use crate::domain::ingest::{EventHead, ProgramRow, SessionRow};
use crate::domain::session::{minute_of, SessionFacts};

use super::CHUNK;

/// A stored session: its primary key (so that its upsert goes straight to the row), facts, and
/// whether it still waits for a browser's identity (`device IS NULL`: only a server reported it).
pub struct StoredSession {
    pub key: u64,
    pub facts: SessionFacts,
    pub no_identity: bool,
}

/// `prefix` followed by the literals of `items` separated by commas, then `suffix`.
pub fn list<T: Literal + ?Sized>(prefix: &str, items: &[&T], suffix: &str) -> String {
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

/// Upserts of the rows a flush derived; a stored session's key sends its upsert straight to it.
/// `last_seen_minute` is the indexed one of the last-seen times (see V5): within a minute its
/// value does not change, and InnoDB then leaves the indexes that carry it alone.
pub fn upsert_sessions<'a>(
    rows: &'a [SessionRow<'a>],
    stored: &HashMap<String, StoredSession>,
) -> Vec<String> {
    let mut statements = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::with_capacity(4096 + chunk.len() * 400);
        sql.push_str(
            "INSERT INTO ide_sessions (id, session_id, site_id, visitor_hash, ip_address, user_agent, browser, os, \
             device, first_seen_at, last_seen_at, last_seen_minute, start_estimate, max_offset_ms, visible_ms, active_ms, end_offset_ms, \
             start_time, last_activity, end_time, duration_seconds, active_seconds, programs_run, lines_executed, \
             errors_encountered) VALUES ",
        );
        for (i, row) in chunk.iter().enumerate() {
            let (who, facts, times, add) = (row.identity, &row.facts, &row.times, &row.added);
            let stored = stored.get(row.session_id);
            let key = stored.map(|o| o.key);
            // The identity of a stored row (locked by this flush, so it cannot vanish before
            // the upsert) is never updated: its columns go as DEFAULT, which spares the server
            // parsing a heartbeat's user agent again. A new row stores the identity, and so
            // does the first browser batch of a row only a server's batch created.
            let fills = stored.is_some_and(|s| s.no_identity) && who.is_browsers();
            let identity = |value: &'a dyn Literal| -> &'a dyn Literal {
                if key.is_some() && !fills {
                    &ColumnDefault
                } else {
                    value
                }
            };
            push_row(
                &mut sql,
                i == 0,
                &[
                    // A stored row's key sends the upsert straight to it; a new row gets one.
                    &key,
                    &row.session_id,
                    identity(&who.site),
                    identity(&who.visitor_hash),
                    identity(&who.ip_address),
                    identity(&who.user_agent),
                    identity(&who.browser),
                    identity(&who.os),
                    identity(&who.device),
                    &facts.first_seen,
                    &facts.last_seen,
                    &minute_of(facts.last_seen),
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
        // A row without a browser's identity takes one (`device` last: MariaDB assigns left to
        // right, and the others test the stored `device`); a DEFAULT sent for it is NULL.
        sql.push_str(
            " ON DUPLICATE KEY UPDATE \
             visitor_hash = IF(device IS NULL, VALUES(visitor_hash), visitor_hash), \
             ip_address = IF(device IS NULL, VALUES(ip_address), ip_address), \
             user_agent = IF(device IS NULL, VALUES(user_agent), user_agent), \
             browser = IF(device IS NULL, VALUES(browser), browser), \
             os = IF(device IS NULL, VALUES(os), os), \
             device = COALESCE(device, VALUES(device)), \
             first_seen_at = LEAST(COALESCE(first_seen_at, VALUES(first_seen_at)), VALUES(first_seen_at)), \
             last_seen_at = GREATEST(COALESCE(last_seen_at, VALUES(last_seen_at)), VALUES(last_seen_at)), \
             last_seen_minute = GREATEST(COALESCE(last_seen_minute, VALUES(last_seen_minute)), VALUES(last_seen_minute)), \
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

/// One multi-row INSERT per chunk of the event `rows` into `table`: the columns every event row
/// begins with ([`EventHead`]), then `columns`, each row's `head` and `values` of them, then
/// `tail`.
fn insert_events<T>(
    rows: &[T],
    table: &str,
    columns: &str,
    tail: &str,
    values: impl Fn(&T) -> (&EventHead, Vec<&dyn Literal>),
) -> Vec<String> {
    let head =
        format!("INSERT INTO {table} (event_id, session_id, seq, timestamp, {columns}) VALUES ");
    let mut statements = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let mut sql = String::with_capacity(256 + chunk.len() * 200);
        sql.push_str(&head);
        for (i, row) in chunk.iter().enumerate() {
            let (event, rest) = values(row);
            let mut literals: Vec<&dyn Literal> = vec![
                &event.event_id,
                &event.session_id,
                &event.seq,
                &event.timestamp,
            ];
            literals.extend(rest);
            push_row(&mut sql, i == 0, &literals);
        }
        sql.push_str(tail);
        statements.push(sql);
    }
    statements
}

/// Inserts every run of the flush; a run whose event id is stored already is left as it is
/// (its affected rows: 0, see `run_script`). Not `INSERT IGNORE`: that would also turn a value
/// the server refuses (too long, out of range) into a warning and a truncated or skipped row,
/// where the writer must see the refusal to answer 422 for that request alone (`isolate`).
pub fn insert_programs(runs: &[ProgramRow]) -> Vec<String> {
    insert_events(
        runs,
        "program_executions",
        "program_lines, execution_time_ms, lines_executed, success, error_message",
        " ON DUPLICATE KEY UPDATE event_id = event_id",
        |row| {
            let run = &row.run;
            let values: Vec<&dyn Literal> = vec![
                &run.program_lines,
                &run.execution_time_ms,
                &run.lines_executed,
                &run.success,
                &run.error_message,
            ];
            (&row.head, values)
        },
    )
}

/// How [`recount_runs`] sets a counter from the stored runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recount {
    /// Raised to the stored runs' figure, never lowered: retention may delete a kept session's
    /// oldest runs (docs/api.md). For the sessions of a run insert that met a stored run.
    NeverLower,
    /// Set to the stored runs' figure: for a session created by two flushes at the same moment,
    /// whose counters the second upsert doubled (its runs are all recent: none purged).
    Exactly,
}

/// Sets the run counters of `sessions` to what their stored runs say, after the upsert and under
/// the sessions' locks. It reads each session's runs (`idx_session`), work that grows with the
/// session: for replays only, as counting on every flush doubled mariadbd's CPU per row in bench
/// figure a.
pub fn recount_runs(sessions: &[&str], how: Recount) -> Vec<String> {
    let set = |column: &str, value: &str| match how {
        Recount::NeverLower => format!("s.{column} = GREATEST(s.{column}, r.{value})"),
        Recount::Exactly => format!("s.{column} = r.{value}"),
    };
    let assignments = [
        set("programs_run", "n_runs"),
        set("lines_executed", "n_lines"),
        set("errors_encountered", "n_errors"),
    ]
    .join(", ");
    let tail = format!(") GROUP BY session_id) r ON r.session_id = s.session_id SET {assignments}");
    sessions
        .chunks(CHUNK)
        .map(|chunk| {
            list(
                "UPDATE ide_sessions s JOIN (SELECT session_id, COUNT(*) AS n_runs, \
                 COALESCE(SUM(lines_executed), 0) AS n_lines, COALESCE(SUM(success = 0), 0) AS n_errors \
                 FROM program_executions WHERE session_id IN (",
                chunk,
                &tail,
            )
        })
        .collect()
}

pub fn insert_features(flush: &Flush) -> Vec<String> {
    insert_events(
        &flush.features,
        "feature_usage",
        "feature_name, feature_data",
        " ON DUPLICATE KEY UPDATE event_id = event_id",
        |row| (&row.head, vec![&row.name, &row.data]),
    )
}

/// One upsert adding the flush's filtered sessions to their (day, site, reason) counts; none
/// without any. A flush holds at most `max_requests_per_flush` of them: one statement.
pub fn add_filtered(flush: &Flush) -> Option<String> {
    if flush.filtered.is_empty() {
        return None;
    }
    let mut sql =
        String::from("INSERT INTO daily_site_filtered (date, site_id, reason, sessions) VALUES ");
    for (i, count) in flush.filtered.iter().enumerate() {
        let date = count.date.format("%Y-%m-%d").to_string();
        let values: [&dyn Literal; 4] =
            [&date, &count.site, &count.reason.as_str(), &count.sessions];
        push_row(&mut sql, i == 0, &values);
    }
    sql.push_str(" ON DUPLICATE KEY UPDATE sessions = sessions + VALUES(sessions)");
    Some(sql)
}

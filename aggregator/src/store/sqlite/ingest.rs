//! The write path on SQLite: a flush is one IMMEDIATE transaction (it takes the write lock at
//! once, so no other writer can change the sessions it reads) of prepared statements, committed
//! before the requests are answered. There is no second writer connection to pipeline with, so
//! the flush commits here and [`Written::commit`] has nothing left to do. Should the writer give
//! up waiting, the flush still commits or not as a whole; its requests were told to retry, and a
//! retry stores nothing twice (event ids are unique, session facts merge idempotently, run
//! counters grow only by the runs a commit inserts). The runs and feature events found stored
//! already are told to the writer (the inserted counts), which counts them as repeated.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{params, params_from_iter, OptionalExtension, Transaction, TransactionBehavior};

use super::time::{date_text, parse_time, utc_text};
use super::SqliteStore;
use crate::domain::flush::{EventCounts, Flush};
use crate::domain::ingest::{ProgramRow, SessionRow, SessionUpdate};
use crate::domain::journal;
use crate::domain::session::{minute_of, SessionFacts, StoredTimes};
use crate::store::{Ingest, StoreError, Written};

/// A flush that committed while it was written, and the event rows it inserted.
struct Committed(EventCounts);

#[async_trait]
impl Written for Committed {
    async fn commit(self: Box<Self>) -> Result<EventCounts, StoreError> {
        Ok(self.0)
    }
}

#[async_trait]
impl Ingest for SqliteStore {
    async fn write_flush(&self, flush: Arc<Flush>) -> Result<Box<dyn Written>, StoreError> {
        self.writer
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let inserted = write(&tx, &flush)?;
                tx.commit()?;
                Ok(Box::new(Committed(inserted)) as Box<dyn Written>)
            })
            .await
    }
}

/// The transaction holds the write lock: nothing changes what it reads until it commits.
/// Returns the event rows inserted. The runs go in first: those inserted (a run stored already
/// changes nothing) grow their sessions' counters in the session upsert.
/// The fold (`super::fold`) writes its flush through it too.
pub(super) fn write(tx: &Transaction<'_>, flush: &Flush) -> Result<EventCounts, StoreError> {
    let new_runs = insert_programs(tx, &flush.programs)?;
    let mut indexed = HashMap::with_capacity(flush.sessions.len());
    let rows = flush.session_rows(&new_runs, |id| {
        Ok::<_, StoreError>(stored_facts(tx, id)?.map(|(facts, keys)| {
            indexed.insert(id.to_string(), keys);
            facts
        }))
    })?;
    upsert_sessions(tx, &rows, &indexed)?;
    add_filtered(tx, flush)?;
    journal_insert(tx, &flush.journal)?;
    Ok(EventCounts {
        programs: new_runs.len() as u64,
        features: insert_features(tx, flush)?,
    })
}

/// Adds the flush's filtered sessions to their (day, site, reason) counts.
fn add_filtered(tx: &Transaction<'_>, flush: &Flush) -> Result<(), StoreError> {
    let mut add = tx.prepare_cached(
        "INSERT INTO daily_site_filtered (date, site_id, reason, sessions) VALUES (?, ?, ?, ?) \
         ON CONFLICT (date, site_id, reason) DO UPDATE SET sessions = sessions + excluded.sessions",
    )?;
    for count in &flush.filtered {
        add.execute(params![
            date_text(count.date),
            count.site,
            count.reason.as_str(),
            count.sessions as i64
        ])?;
    }
    Ok(())
}

/// What a stored session's indexed columns hold (besides `session_id`, which never changes):
/// a heartbeat that leaves all three as they are updates the row without touching an index.
/// And whether the row still waits for a browser's identity (only a server reported it yet).
#[derive(Debug, PartialEq)]
struct IndexedKeys {
    start_time: String,
    end_time: Option<String>,
    last_seen_minute: Option<i64>,
    no_identity: bool,
}

impl IndexedKeys {
    fn unchanged_by(&self, row: &SessionRow<'_>) -> bool {
        !(self.no_identity && row.identity.is_browsers())
            && self.last_seen_minute == Some(minute_of(row.facts.last_seen))
            && self.end_time.is_none()
            && row.times.end_time.is_none()
            && self.start_time == utc_text(row.times.start_time)
    }
}

/// The stored facts of a session, if it exists, and its indexed columns.
fn stored_facts(
    tx: &Transaction<'_>,
    session_id: &str,
) -> Result<Option<(SessionFacts, IndexedKeys)>, StoreError> {
    let mut select = tx.prepare_cached(
        "SELECT first_seen_at, last_seen_at, start_estimate, start_time, max_offset_ms, visible_ms, \
         active_ms, end_offset_ms, end_time, last_seen_minute, device IS NULL FROM ide_sessions \
         WHERE session_id = ?",
    )?;
    type Raw = (
        (Option<String>, Option<String>, Option<String>, String),
        (i64, i64, i64, Option<i64>),
        (Option<String>, Option<i64>, bool),
    );
    let raw: Option<Raw> = select
        .query_row([session_id], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                (r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
                (r.get(8)?, r.get(9)?, r.get(10)?),
            ))
        })
        .optional()?;
    let Some((
        (first, last, estimate, start_text),
        (max_offset, visible, active, end_offset),
        (end_time, last_seen_minute, no_identity),
    )) = raw
    else {
        return Ok(None);
    };
    let time = |text: Option<String>| -> Result<_, StoreError> {
        Ok(text
            .map(|text| parse_time(&text))
            .transpose()?
            .map(|t| t.and_utc()))
    };
    let times = StoredTimes {
        start_time: parse_time(&start_text)?.and_utc(),
        first_seen: time(first)?,
        last_seen: time(last)?,
        start_estimate: time(estimate)?,
    };
    let facts = times.facts(
        non_negative(max_offset),
        non_negative(visible),
        non_negative(active),
        end_offset.map(non_negative),
    );
    let keys = IndexedKeys {
        start_time: start_text,
        end_time,
        last_seen_minute,
        no_identity,
    };
    Ok(Some((facts, keys)))
}

fn non_negative(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// Writes each session row: an open session whose indexed columns stay as stored (the common
/// heartbeat: same minute, same start, still open) by an UPDATE of unindexed columns only,
/// since SQLite rewrites the entries of every index whose columns a statement sets; any other
/// row by the full upsert, whose first parameters are the UPDATE's ([`update_params`]). The
/// upsert fills in the identity of a row that has none yet (`device IS NULL`: created by a
/// server's batch) from a browser's batch, and never changes one a browser gave.
fn upsert_sessions(
    tx: &Transaction<'_>,
    rows: &[SessionRow<'_>],
    indexed: &HashMap<String, IndexedKeys>,
) -> Result<(), StoreError> {
    let mut update = tx.prepare_cached(
        "UPDATE ide_sessions SET first_seen_at = ?2, last_seen_at = ?3, start_estimate = ?4, \
         max_offset_ms = ?5, visible_ms = ?6, active_ms = ?7, end_offset_ms = ?8, last_activity = ?9, \
         duration_seconds = ?10, active_seconds = ?11, programs_run = programs_run + ?12, \
         lines_executed = lines_executed + ?13, errors_encountered = errors_encountered + ?14 \
         WHERE session_id = ?1",
    )?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO ide_sessions (session_id, first_seen_at, last_seen_at, start_estimate, max_offset_ms, \
         visible_ms, active_ms, end_offset_ms, last_activity, duration_seconds, active_seconds, programs_run, \
         lines_executed, errors_encountered, site_id, visitor_hash, ip_address, user_agent, browser, os, device, \
         start_time, end_time, last_seen_minute) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
         ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) \
         ON CONFLICT (session_id) DO UPDATE SET \
         visitor_hash = CASE WHEN device IS NULL THEN excluded.visitor_hash ELSE visitor_hash END, \
         ip_address = CASE WHEN device IS NULL THEN excluded.ip_address ELSE ip_address END, \
         user_agent = CASE WHEN device IS NULL THEN excluded.user_agent ELSE user_agent END, \
         browser = CASE WHEN device IS NULL THEN excluded.browser ELSE browser END, \
         os = CASE WHEN device IS NULL THEN excluded.os ELSE os END, \
         device = coalesce(device, excluded.device), \
         first_seen_at = excluded.first_seen_at, last_seen_at = excluded.last_seen_at, \
         last_seen_minute = excluded.last_seen_minute, \
         start_estimate = excluded.start_estimate, max_offset_ms = excluded.max_offset_ms, \
         visible_ms = excluded.visible_ms, active_ms = excluded.active_ms, end_offset_ms = excluded.end_offset_ms, \
         start_time = excluded.start_time, last_activity = excluded.last_activity, end_time = excluded.end_time, \
         duration_seconds = excluded.duration_seconds, active_seconds = excluded.active_seconds, \
         programs_run = programs_run + excluded.programs_run, \
         lines_executed = lines_executed + excluded.lines_executed, \
         errors_encountered = errors_encountered + excluded.errors_encountered",
    )?;
    for row in rows {
        let params = update_params(row)?;
        if indexed
            .get(row.session_id)
            .is_some_and(|keys| keys.unchanged_by(row))
        {
            update.execute(params_from_iter(&params))?;
        } else {
            upsert.execute(params_from_iter(params.iter().chain(&insert_params(row)?)))?;
        }
    }
    Ok(())
}

/// `?1` to `?14` of both session statements: the session's key and what a batch changes.
fn update_params<'a>(row: &'a SessionRow<'_>) -> rusqlite::Result<[ToSqlOutput<'a>; 14]> {
    let (facts, times, add) = (&row.facts, &row.times, &row.added);
    Ok([
        row.session_id.to_sql()?,
        utc_text(facts.first_seen).into(),
        utc_text(facts.last_seen).into(),
        utc_text(facts.start_estimate).into(),
        facts.max_offset_ms.to_sql()?,
        facts.visible_ms.to_sql()?,
        facts.active_ms.to_sql()?,
        facts.end_offset_ms.to_sql()?,
        utc_text(times.last_activity).into(),
        times.duration_seconds.into(),
        times.active_seconds.into(),
        add.runs.into(),
        add.lines.to_sql()?,
        add.errors.into(),
    ])
}

/// `?15` to `?24` of the upsert: what only a new row (or one whose start, end or minute moves)
/// writes besides.
fn insert_params<'a>(row: &'a SessionRow<'_>) -> rusqlite::Result<[ToSqlOutput<'a>; 10]> {
    let who = row.identity;
    Ok([
        who.site.to_sql()?,
        who.visitor_hash.to_sql()?,
        who.ip_address.to_sql()?,
        who.user_agent.to_sql()?,
        who.browser.to_sql()?,
        who.os.to_sql()?,
        who.device.to_sql()?,
        utc_text(row.times.start_time).into(),
        ToSqlOutput::Owned(row.times.end_time.map(utc_text).into()),
        minute_of(row.facts.last_seen).into(),
    ])
}

/// Inserts the runs not stored yet (`ON CONFLICT (event_id)`, not `INSERT OR IGNORE`, which
/// would also skip a row breaking a NOT NULL or CHECK constraint instead of refusing it);
/// returns them (`changes()` of each insert: 0 for an event id already stored). Under the write
/// lock this is exact: no lookup of stored ids, no recount. One prepared statement per row:
/// SQLite has no round trips to save.
fn insert_programs<'a>(
    tx: &Transaction<'_>,
    runs: &'a [ProgramRow],
) -> Result<Vec<&'a ProgramRow>, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO program_executions (event_id, session_id, seq, timestamp, program_lines, execution_time_ms, \
         lines_executed, success, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (event_id) DO NOTHING",
    )?;
    let mut inserted = Vec::with_capacity(runs.len());
    for row in runs {
        let head = &row.head;
        let changed = insert.execute(params![
            &head.event_id.0[..],
            head.session_id,
            head.seq,
            utc_text(head.timestamp),
            row.run.program_lines,
            row.run.execution_time_ms,
            row.run.lines_executed,
            row.run.success,
            row.run.error_message,
        ])?;
        if changed > 0 {
            inserted.push(row);
        }
    }
    Ok(inserted)
}

/// Inserts the feature events not stored yet; returns how many (`changes()` of each insert: 0
/// for an event id already stored).
fn insert_features(tx: &Transaction<'_>, flush: &Flush) -> Result<u64, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO feature_usage (event_id, session_id, seq, timestamp, feature_name, feature_data) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
    )?;
    let mut inserted = 0;
    for row in &flush.features {
        let head = &row.head;
        inserted += insert.execute(params![
            &head.event_id.0[..],
            head.session_id,
            head.seq,
            utc_text(head.timestamp),
            row.name,
            row.data,
        ])? as u64;
    }
    Ok(inserted)
}

/// Stores a flush's journaled session updates (`domain::journal`) as one row of
/// `heartbeat_journal`, if it has any; `super::fold` applies such rows later.
fn journal_insert(tx: &Transaction<'_>, updates: &[SessionUpdate]) -> Result<(), StoreError> {
    if !updates.is_empty() {
        tx.prepare_cached("INSERT INTO heartbeat_journal (body) VALUES (?)")?
            .execute([journal::encode(updates)])?;
    }
    Ok(())
}

//! The write path's transactions. A flush is one transaction of a few multi-row statements,
//! whatever the number of requests in it (group commit), sent as SQL text in few round trips:
//! begin and lock its sessions; write; commit. The commit is a step of its own so that the
//! writer can begin the next flush while the disk syncs this one. Runs and feature events go in
//! with multi-row inserts that leave an event id stored already as it is: their affected rows
//! are the events stored for the first time, which the commit hands back (the writer counts the
//! rest as repeated). The sessions' run counters are then set from their stored runs, under the
//! sessions' locks, rather than grown: a replay or a late-seen write of another Galera node
//! cannot make them drift from the rows (docs/scale-out.md).

mod literal;
mod rows;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use self::rows::{
    insert_features, insert_programs, list, recount_runs, upsert_sessions, StoredSession,
};
use super::MySqlStore;
use crate::domain::flush::{EventCounts, Flush};
use crate::domain::session::StoredTimes;
use crate::store::{Ingest, StoreError, Written};

/// Ends every write script: fails unless the flush's transaction is still the one running. Its
/// savepoint `flush` is set right after `START TRANSACTION` and released again by the COMMIT's
/// round trip. A Galera brute-force abort (another node's write wanting the flush's locks) rolls
/// the transaction back, and the server may go on with the rest of a multi-statement script in
/// a new transaction without reporting it; the savepoint is gone with the old one, so `RELEASE`
/// fails (1305) and the flush is a conflict. With autocommit off, nothing the server ran after
/// the abort can commit on its own (docs/scale-out.md).
const CHECK_GUARD: &str = "RELEASE SAVEPOINT flush;SAVEPOINT flush";

/// Rows per statement: big enough to amortize round trips, small enough for any packet limit
/// (a row is at most about 4.5 KB of SQL, so 500 stay under the 4 MB max_allowed_packet of
/// older servers).
const CHUNK: usize = 500;

/// Statements sent in one round trip at most: well under any server's max_allowed_packet.
const BATCH_BYTES: usize = 1 << 20;

/// A connection kept idle longer than this goes back to the pool rather than risk meeting the
/// server's wait_timeout in the middle of a flush.
const KEEP_IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// The writer's connections, kept from one flush to the next (two: one commits while the next
/// flush is written). Taking one from the pool for each flush cost a reset round trip and a
/// fresh session every time, which a lightly loaded aggregator's profile showed above all else.
/// Only the writer task uses them, so the lock is never contended.
#[derive(Default, Clone)]
pub struct WriterConns {
    idle: Arc<Mutex<Vec<(Conn, Instant)>>>,
}

impl WriterConns {
    fn take(&self) -> Option<(Conn, Instant)> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()
    }

    /// Gives every idle connection back to the pool, which waits for them all when it closes.
    pub fn release(&self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn keep(&self, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < 2 {
            idle.push((conn, Instant::now()));
        }
    }
}

/// A flush written but not committed: its transaction holds the locks of its sessions, so a
/// later flush of one of them waits until this one ends and then reads what it stored.
struct OpenFlush {
    conn: Conn,
    conns: WriterConns,
    inserted: EventCounts,
}

#[async_trait]
impl Written for OpenFlush {
    /// Commits; on success the connection serves a later flush.
    async fn commit(mut self: Box<Self>) -> Result<EventCounts, StoreError> {
        self.conn
            .query_drop("RELEASE SAVEPOINT flush;COMMIT")
            .await?;
        let OpenFlush {
            conn,
            conns,
            inserted,
        } = *self;
        conns.keep(conn);
        // On error the connection is dropped: back in the pool it is reset, which rolls back
        // whatever is left open.
        Ok(inserted)
    }
}

#[async_trait]
impl Ingest for MySqlStore {
    /// Writes a flush in a transaction left open for [`Written::commit`]; nothing of it is
    /// stored unless that commit succeeds.
    async fn write_flush(&self, flush: Arc<Flush>) -> Result<Box<dyn Written>, StoreError> {
        let mut conn = match self.writer_conns.take() {
            Some((conn, used)) if used.elapsed() < KEEP_IDLE => conn,
            _ => {
                let mut conn = self.pool().get_conn().await?;
                // Back in the pool the connection is reset, which rolls back a transaction left
                // open by an error or by a flush abandoned at its timeout (the future, and the
                // connection with it, is dropped): nothing of a failed flush ever commits. The
                // reset also ends the session setting below.
                conn.reset_connection(true);
                // Read committed: no gap locks, so replicas inserting new sessions do not deadlock.
                // Autocommit off: what the server runs after a brute-force abort ended the
                // flush's transaction opens another one, which only an explicit COMMIT ends, and
                // the guard savepoint stops that COMMIT.
                conn.query_drop(
                    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;SET SESSION autocommit = 0",
                )
                .await?;
                conn
            }
        };
        let mut outcome = write(&mut conn, &flush).await;
        // A deadlock (with the idle sweeper, say) rolled the whole transaction back: try again
        // once at once rather than answer 503 for every request of the flush.
        if outcome.as_ref().is_err_and(is_deadlock) {
            let _ = conn.query_drop("ROLLBACK").await;
            outcome = write(&mut conn, &flush).await;
        }
        match outcome {
            Ok(inserted) => Ok(Box::new(OpenFlush {
                conn,
                conns: self.writer_conns.clone(),
                inserted,
            })),
            Err(error) => {
                // Dropped after this: back in the pool and reset.
                let _ = conn.query_drop("ROLLBACK").await;
                Err(error)
            }
        }
    }
}

/// A deadlock, or the guard savepoint found gone (the transaction was aborted): either way the
/// flush's transaction is rolled back.
fn is_deadlock(error: &StoreError) -> bool {
    matches!(error, StoreError::MySql(mysql_async::Error::Server(e)) if e.code == 1213 || e.code == 1305)
}

/// What a statement's affected rows count for: the run and feature inserts' are the events the
/// flush stored for the first time; the others' (session upserts, the recount) count for
/// nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counted {
    Nothing,
    Programs,
    Features,
}

/// Everything but the commit; returns the event rows inserted.
async fn write(conn: &mut Conn, flush: &Flush) -> Result<EventCounts, StoreError> {
    let stored = begin_and_lock(conn, flush).await?;
    // The counters are not grown by the session upsert but set by the recount below.
    let rows = flush.session_rows(&[], |id| {
        Ok::<_, StoreError>(stored.get(id).map(|s| s.facts))
    })?;
    let mut statements: Vec<(Counted, String)> = Vec::new();
    let mut add = |counted: Counted, list: Vec<String>| {
        statements.extend(list.into_iter().map(|sql| (counted, sql)));
    };
    add(Counted::Nothing, upsert_sessions(&rows, &stored));
    add(Counted::Programs, insert_programs(&flush.programs));
    add(Counted::Nothing, recount_runs(&sessions_with_runs(flush)));
    add(Counted::Features, insert_features(flush));
    let mut inserted = EventCounts::default();
    let mut script = String::with_capacity(BATCH_BYTES);
    let mut in_script = 0..0;
    for (i, (_, statement)) in statements.iter().enumerate() {
        if !script.is_empty() && script.len() + statement.len() > BATCH_BYTES {
            script.push(';');
            script.push_str(CHECK_GUARD);
            let kinds = statements[in_script.clone()].iter().map(|(c, _)| *c);
            let counts = run_script(conn, std::mem::take(&mut script), kinds).await?;
            inserted.programs += counts.programs;
            inserted.features += counts.features;
            in_script = i..i;
        }
        if !script.is_empty() {
            script.push(';');
        }
        script.push_str(statement);
        in_script.end = i + 1;
    }
    if !script.is_empty() {
        script.push(';');
        script.push_str(CHECK_GUARD);
        let kinds = statements[in_script].iter().map(|(c, _)| *c);
        let counts = run_script(conn, script, kinds).await?;
        inserted.programs += counts.programs;
        inserted.features += counts.features;
    }
    Ok(inserted)
}

/// The sessions the flush's runs belong to, each once (every one is among the flush's locked
/// sessions: a run is stored with the session of its batch).
fn sessions_with_runs(flush: &Flush) -> Vec<&str> {
    let mut seen = HashSet::new();
    flush
        .programs
        .iter()
        .map(|run| run.head.session_id.as_str())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// Sends one script of statements, `kinds` saying what each one's affected rows count for, and
/// returns the event rows inserted. The server answers each statement in turn; the first that
/// fails ends the script with its error (the script's last statements are [`CHECK_GUARD`],
/// whose results are read and dropped). With `ON DUPLICATE KEY UPDATE event_id = event_id` a
/// duplicate affects 0 rows and a new one 1, as long as the connection does not ask for found
/// rows (`CLIENT_FOUND_ROWS`, which the store turns off).
async fn run_script(
    conn: &mut Conn,
    script: String,
    kinds: impl Iterator<Item = Counted>,
) -> Result<EventCounts, StoreError> {
    let mut result = conn.query_iter(script).await?;
    let mut inserted = EventCounts::default();
    for kind in kinds {
        match kind {
            Counted::Programs => inserted.programs += result.affected_rows(),
            Counted::Features => inserted.features += result.affected_rows(),
            Counted::Nothing => {}
        }
        // Reads this statement's (empty) result and the next statement's answer.
        result.collect::<mysql_async::Row>().await?;
    }
    result.drop_result().await?;
    Ok(inserted)
}

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

/// Begins the transaction and returns the stored facts of the flush's sessions, locked until it
/// ends (a stalled flush shows as `SELECT session_id ... FOR UPDATE` in the process list).
async fn begin_and_lock(
    conn: &mut Conn,
    flush: &Flush,
) -> Result<HashMap<String, StoredSession>, StoreError> {
    let mut sql = String::from("START TRANSACTION;SAVEPOINT flush");
    let ids: Vec<&String> = flush.sessions.iter().map(|s| &s.session_id).collect();
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

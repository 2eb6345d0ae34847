//! The write path's transactions. A flush is one transaction of a few multi-row statements,
//! whatever the number of requests in it (group commit), sent as SQL text in few round trips:
//! begin and lock its sessions (but those its batches open, presumed new: see [`write`]);
//! insert its runs; write the rest; commit. The commit is a step of
//! its own so that the writer can begin the next flush while the disk syncs this one. Runs and
//! feature events go in with multi-row inserts that leave an event id stored already as it is:
//! their affected rows are the events stored for the first time, which the commit hands back
//! (the writer counts the rest as repeated), and decide the run counters: grown by the runs of
//! a statement whose every run was new, counted from the stored runs for the sessions of one
//! that met a stored run; under the sessions' locks either way (docs/scale-out.md).

mod journal;
mod literal;
mod lock;
mod rows;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use self::lock::begin_and_lock;
use self::rows::{
    add_filtered, insert_features, insert_programs, recount_runs, upsert_sessions, Recount,
};
use super::MySqlStore;
use crate::domain::flush::{EventCounts, Flush};
use crate::domain::ingest::ProgramRow;
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

/// Everything but the commit; returns the event rows inserted. First with the sessions whose
/// batch opens them (their `start`) presumed new: inserted without the locked read, which for a
/// session not stored finds nothing and costs mariadbd an index lookup and the flush a round
/// trip. The upsert's affected rows then say whether each of them was indeed inserted (1 per
/// row inserted, 2 or 0 per row found: `run_script`); if one was stored already (a retried
/// first batch, the same session through another replica), its upsert overwrote derived
/// columns from this flush's facts alone, so the whole transaction is rolled back and the
/// flush written again with every session read and locked first.
/// The fold (`super::fold`) writes its flush of journaled updates through it too.
pub(super) async fn write(conn: &mut Conn, flush: &Flush) -> Result<EventCounts, StoreError> {
    if let Some(counts) = write_presuming(conn, flush, Presume::Opening).await? {
        return Ok(counts);
    }
    conn.query_drop("ROLLBACK").await?;
    match write_presuming(conn, flush, Presume::Nothing).await? {
        Some(counts) => Ok(counts),
        // Nothing presumed, nothing to find wrong: never reached.
        None => Err(StoreError::Decode(
            "a flush presuming no new session found a presumption wrong".into(),
        )),
    }
}

/// Which sessions of a flush [`write_presuming`] inserts without reading them first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presume {
    /// Those whose batch carried their `start` (`SessionUpdate::opens`).
    Opening,
    /// None: every session is read and locked first.
    Nothing,
}

/// Writes the flush; `None` when a session presumed new was stored already (its transaction
/// must then be rolled back). The runs go in first, in a round trip of their own: their
/// affected rows say, per statement, whether every run of it was new (the common case: those
/// runs grow their sessions' counters in the session upsert) or some were stored already (a
/// replay: the counters of the sessions of that statement are then counted from their stored
/// runs, after the upsert).
async fn write_presuming(
    conn: &mut Conn,
    flush: &Flush,
    presume: Presume,
) -> Result<Option<EventCounts>, StoreError> {
    let fresh: HashSet<&str> = flush
        .sessions
        .iter()
        .filter(|s| presume == Presume::Opening && s.opens)
        .map(|s| s.session_id.as_str())
        .collect();
    let to_read: Vec<&str> = flush
        .sessions
        .iter()
        .map(|s| s.session_id.as_str())
        .filter(|id| !fresh.contains(id))
        .collect();
    let mut statements: Vec<String> = Vec::new();
    let stored = if to_read.is_empty() {
        // Nothing to read: the transaction begins in the first script (one round trip less).
        statements.extend(["START TRANSACTION".into(), "SAVEPOINT flush".into()]);
        HashMap::new()
    } else {
        begin_and_lock(conn, &to_read).await?
    };
    // Runs of sessions stored already go in first: their affected rows say which are replays
    // before the session upsert counts them. Runs of a session this flush creates go in right
    // after its row (a foreign key of an adopted database asks for the session first); they are
    // new unless another replica created the same session at the same moment (a replay raced
    // through two replicas: our upsert then waited for its row and added to its counters), so
    // their affected rows are checked too, and such a session is counted afresh from its runs.
    // (Nothing is stored of a flush that reads nothing, so its transaction begins below.)
    let (of_stored, of_new): (Vec<ProgramRow>, Vec<ProgramRow>) = flush
        .programs
        .iter()
        .cloned()
        .partition(|run| stored.contains_key(run.head.session_id.as_str()));
    let affected = send(conn, &insert_programs(&of_stored)).await?;
    let mut new_runs: Vec<&ProgramRow> = of_new.iter().collect();
    let mut recount: Vec<&str> = Vec::new();
    for (chunk, inserted) in of_stored.chunks(CHUNK).zip(&affected) {
        if *inserted == chunk.len() as u64 {
            new_runs.extend(chunk.iter());
        } else {
            recount.extend(chunk.iter().map(|run| run.head.session_id.as_str()));
        }
    }
    recount.sort_unstable();
    recount.dedup();
    let rows = flush.session_rows(&new_runs, |id| {
        Ok::<_, StoreError>(stored.get(id).map(|s| s.facts))
    })?;
    // The presumed new sessions' upserts apart, so that their affected rows can be checked.
    let (fresh_rows, rows): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|row| fresh.contains(row.session_id));
    let fresh_at = statements.len();
    statements.extend(upsert_sessions(&fresh_rows, &stored));
    let fresh_upserts = fresh_at..statements.len();
    statements.extend(upsert_sessions(&rows, &stored));
    let all_inserted = |affected: &[u64]| {
        fresh_rows
            .chunks(CHUNK)
            .zip(affected)
            .all(|(chunk, n)| *n == chunk.len() as u64)
    };
    let mut late_runs = 0;
    let mut raced: Vec<&str> = Vec::new();
    let mut checked = false;
    if !of_new.is_empty() {
        let upserts = statements.len();
        statements.extend(insert_programs(&of_new));
        let first = send(conn, &std::mem::take(&mut statements)).await?;
        if !all_inserted(&first[fresh_upserts.clone()]) {
            return Ok(None);
        }
        checked = true;
        for (chunk, inserted) in of_new.chunks(CHUNK).zip(&first[upserts..]) {
            late_runs += *inserted;
            if *inserted != chunk.len() as u64 {
                raced.extend(chunk.iter().map(|run| run.head.session_id.as_str()));
            }
        }
        raced.sort_unstable();
        raced.dedup();
    }
    statements.extend(recount_runs(&recount, Recount::NeverLower));
    statements.extend(recount_runs(&raced, Recount::Exactly));
    statements.extend(add_filtered(flush));
    statements.extend(journal::journal_insert(&flush.journal));
    // The feature inserts come last: their affected rows are the events they inserted.
    let features_from = statements.len();
    statements.extend(insert_features(flush));
    let affected_by_rest = send(conn, &statements).await?;
    if !checked && !all_inserted(&affected_by_rest[fresh_upserts]) {
        return Ok(None);
    }
    Ok(Some(EventCounts {
        programs: affected.iter().sum::<u64>() + late_runs,
        features: affected_by_rest[features_from..].iter().sum(),
    }))
}

/// Sends `statements` in as few scripts as [`BATCH_BYTES`] allows, each ending with
/// [`CHECK_GUARD`], and returns each statement's affected rows. The server answers each
/// statement in turn; the first that fails ends the script with its error. With `ON DUPLICATE
/// KEY UPDATE event_id = event_id` a duplicate affects 0 rows and a new one 1, as long as the
/// connection does not ask for found rows (`CLIENT_FOUND_ROWS`, which the store turns off).
async fn send(conn: &mut Conn, statements: &[String]) -> Result<Vec<u64>, StoreError> {
    let mut affected = Vec::with_capacity(statements.len());
    let mut script = String::new();
    let mut in_script = 0;
    for (i, statement) in statements.iter().enumerate() {
        if in_script > 0 && script.len() + statement.len() > BATCH_BYTES {
            run_script(conn, std::mem::take(&mut script), in_script, &mut affected).await?;
            in_script = 0;
        }
        if in_script > 0 {
            script.push(';');
        }
        script.push_str(statement);
        in_script += 1;
        debug_assert!(affected.len() + in_script == i + 1);
    }
    if in_script > 0 {
        run_script(conn, script, in_script, &mut affected).await?;
    }
    Ok(affected)
}

/// Sends one script of `statements` statements and the guard; pushes each one's affected rows.
async fn run_script(
    conn: &mut Conn,
    mut script: String,
    statements: usize,
    affected: &mut Vec<u64>,
) -> Result<(), StoreError> {
    script.push(';');
    script.push_str(CHECK_GUARD);
    let mut result = conn.query_iter(script).await?;
    for _ in 0..statements {
        affected.push(result.affected_rows());
        // Reads this statement's (empty) result and the next statement's answer.
        result.collect::<mysql_async::Row>().await?;
    }
    result.drop_result().await?;
    Ok(())
}

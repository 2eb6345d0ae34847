//! g. The embedded store: the release aggregator on a fresh SQLite file (WAL, synchronous=FULL)
//! in a temporary folder, driven by the batched load of (a) and the single heartbeats of (b).
//!
//! The ceiling of the batched load is SQLite's own insert rate for the same rows on the same
//! disk: rusqlite with the aggregator's pragmas, into a fresh file of the same schema (migrated
//! by the aggregator), prepared statements, one IMMEDIATE transaction per group of batches as
//! large as the aggregator's mean flush in the same run (the requests per flush its writer logs),
//! so the ceiling syncs as many commits as the aggregator did. The heartbeats are compared with
//! the bare axum handler, as in (b). After each load the stored rows are counted against the
//! acknowledged requests: every acknowledged event stored exactly once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{params, Connection, TransactionBehavior};

use crate::load::{self, MakeBody, Outcome};
use crate::payload::{self, EVENTS_PER_BATCH, FEATURES_PER_BATCH, PROGRAMS_PER_BATCH};
use crate::phases::{cpu_secs, heartbeats, latency};
use crate::procs::{self, Server};

/// Session ids of each load start with its run number, so the checks count its rows only.
const BATCH_RUN: u64 = 7;
const BEAT_RUN: u64 = 8;
/// Clients of the batched load, and sessions of the heartbeats: those of (a) and (b).
const CLIENTS: u64 = 256;
const SESSIONS: u64 = 1000;
/// Per batch of [`payload::batch`]: failed runs, and lines executed over all runs.
const ERRORS_PER_BATCH: i64 = 2;
const LINES_PER_BATCH: i64 = 2 * 240 + 4 * 96;

/// A temporary folder on the same disk as MariaDB's (the system's temporary folder), removed
/// when dropped (figures g and m).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .subsec_nanos();
        let path =
            std::env::temp_dir().join(format!("usage-bench-g-{}-{nanos:x}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// CPU seconds of named processes over a phase (no MariaDB here; figure i names its own).
pub struct Cpu {
    procs: Vec<(&'static str, u32, f64)>,
    wall: Instant,
}

impl Cpu {
    fn start(server: (&'static str, &Server)) -> Cpu {
        Cpu::of(&[(server.0, server.1.pid())])
    }

    /// Counts from now for these processes and the load generator.
    pub fn of(named: &[(&'static str, u32)]) -> Cpu {
        let me = ("load generator", std::process::id());
        let procs = named
            .iter()
            .copied()
            .chain([me])
            .map(|(name, pid)| (name, pid, cpu_secs(pid)))
            .collect();
        Cpu {
            procs,
            wall: Instant::now(),
        }
    }

    /// "cpu: aggregator 9.1 s, load generator 2.6 s of 20.0 core-s"
    pub fn report(&self) -> String {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let used: Vec<String> = self
            .procs
            .iter()
            .map(|(name, pid, start)| format!("{name} {:.1} s", cpu_secs(*pid) - start))
            .collect();
        format!(
            "cpu: {} of {:.1} core-s",
            used.join(", "),
            self.wall.elapsed().as_secs_f64() * cores as f64
        )
    }
}

/// g: both loads against one aggregator on a fresh SQLite file, then its warnings, if any.
pub async fn figure(secs: u64) -> anyhow::Result<()> {
    let dir = TempDir::new()?;
    let file = dir.0.join("bench.sqlite3");
    let log = dir.0.join("aggregator.log");
    let agg = procs::aggregator_sqlite(&file, &log).await?;
    batched(&agg, &dir.0, &file, &log, secs).await?;
    single(&agg, &file, secs).await?;
    agg.stop();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for line in text.lines().filter(|l| !l.contains("\"DEBUG\"")).take(5) {
        println!("   aggregator said: {line}");
    }
    Ok(())
}

/// The batched load of (a) against SQLite's own insert rate.
async fn batched(
    agg: &Server,
    dir: &Path,
    file: &Path,
    log: &Path,
    secs: u64,
) -> anyhow::Result<()> {
    let logged = std::fs::metadata(log).map_or(0, |m| m.len() as usize);
    let cpu = Cpu::start(("aggregator", agg));
    let probe = crate::disk::Probe::start(dir, Duration::from_secs(secs + 10));
    let body: MakeBody = Arc::new(|s, i| {
        payload::batch(
            &payload::session_id(BATCH_RUN, s * 1_000_000 + i / 10),
            i % 10,
        )
    });
    let out =
        load::closed_loop(agg.addr, CLIENTS, 100_000, Duration::from_secs(secs), body).await?;
    let (disk, _) = probe.finish();
    let cpu = cpu.report();

    let flushes = flush_sizes(log, logged);
    let batches = out.ok as usize;
    // The ceiling's transactions: the aggregator's mean flush (as many commits as it made).
    let per_commit = match flushes.len() {
        0 => CLIENTS as usize,
        n => flushes.iter().sum::<usize>().div_ceil(n),
    }
    .max(1);
    let rows = batches * (1 + PROGRAMS_PER_BATCH + FEATURES_PER_BATCH);
    let rows_per_s = rows as f64 / out.elapsed.as_secs_f64();
    let ceiling_file = dir.join("ceiling.sqlite3");
    let probe = crate::disk::Probe::start(dir, Duration::from_secs(120));
    let ceiling =
        tokio::task::spawn_blocking(move || ceiling(&ceiling_file, batches, per_commit)).await??;
    let (ceiling_disk, _) = probe.finish();
    let ceiling_rows = rows as f64 / ceiling.took.as_secs_f64();
    println!(
        "g. embedded store (SQLite, WAL, synchronous=FULL), batched ingest: {:.0} events/s ({:.0} batches of {EVENTS_PER_BATCH}/s, \
         {rows_per_s:.0} rows/s, {} errors), committed before each 200; SQLite insert of the same {rows} rows \
         (prepared statements, {} IMMEDIATE transactions of {per_commit} batches): {ceiling_rows:.0} rows/s; ratio {:.2}",
        out.per_second() * EVENTS_PER_BATCH as f64,
        out.per_second(),
        out.errors,
        ceiling.commits,
        rows_per_s / ceiling_rows
    );
    println!("   {cpu}; batch {}; {disk}", latency(&out));
    println!(
        "   flushes: {}; ceiling: {:.2} s ({:.2} s in COMMIT), {:.2} CPU s, {ceiling_disk}",
        flush_summary(&flushes),
        ceiling.took.as_secs_f64(),
        ceiling.in_commit.as_secs_f64(),
        ceiling.cpu
    );
    let stored = {
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || stored(&file, BATCH_RUN)).await??
    };
    let acked = out.ok as i64;
    let committed: usize = flushes.iter().sum();
    println!(
        "   stored: {}; {committed} requests in committed flushes for {acked} acknowledged: {}",
        stored.summary(),
        verdict(stored.is_batches(acked) && committed == batches, out.errors)
    );
    Ok(())
}

/// The single heartbeats of (b), against the bare axum handler in the same minute.
async fn single(agg: &Server, file: &Path, secs: u64) -> anyhow::Result<()> {
    let duration = Duration::from_secs(secs);
    let bare = procs::bare().await?;
    let cpu = Cpu::start(("bare axum", &bare));
    let floor = load::closed_loop(
        bare.addr,
        SESSIONS,
        1_000_000,
        duration,
        heartbeats(BEAT_RUN),
    )
    .await?;
    let bare_cpu = cpu.report();
    bare.stop();
    let cpu = Cpu::start(("aggregator", agg));
    let out = load::closed_loop(
        agg.addr,
        SESSIONS,
        1_000_000,
        duration,
        heartbeats(BEAT_RUN),
    )
    .await?;
    let agg_cpu = cpu.report();
    println!(
        "g. embedded store, single heartbeats, {SESSIONS} sessions: {:.0} req/s ({}; {} errors); \
         bare axum handler {:.0} req/s ({}); ratio {:.2}",
        out.per_second(),
        latency(&out),
        out.errors,
        floor.per_second(),
        latency(&floor),
        out.per_second() / floor.per_second()
    );
    println!("   aggregator {agg_cpu}\n   bare {bare_cpu}");
    procs::fold(&format!("sqlite:{}", file.display()))?;
    let stored = {
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || stored(&file, BEAT_RUN)).await??
    };
    // Session s was sent beats 1, 2, ... k in turn (15 s apart): its offset is 15 s per beat.
    let beats = stored.max_offset_ms / 15_000;
    println!(
        "   stored: {} sessions, offsets of {beats} heartbeats for {} acknowledged: {}",
        stored.sessions,
        out.ok,
        verdict(
            stored.sessions == sessions_answered(&out) && beats == out.ok as i64,
            out.errors
        )
    );
    Ok(())
}

/// Sessions with a stored row: in a closed loop without errors each of them sent (and had
/// answered) its first heartbeat, unless fewer requests than sessions were answered at all.
fn sessions_answered(out: &Outcome) -> i64 {
    (out.ok.min(SESSIONS)) as i64
}

pub fn verdict(exact: bool, errors: u64) -> String {
    match (exact, errors) {
        (true, _) => "every acknowledged event stored exactly once".into(),
        // A request that timed out may have been stored after all: more is expected then.
        (false, 1..) => format!("not comparable exactly ({errors} requests failed or timed out)"),
        (false, 0) => "MISMATCH between stored and acknowledged".into(),
    }
}

/// Requests per flush the aggregator's writer logged after byte `from` of its log.
fn flush_sizes(log: &Path, from: usize) -> Vec<usize> {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(text.get(from..).unwrap_or_default());
    text.lines()
        .filter(|line| line.contains("flush committed"))
        .filter_map(|line| {
            let at = line.find("\"requests\":")? + "\"requests\":".len();
            let digits: String = line[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

fn flush_summary(sizes: &[usize]) -> String {
    if sizes.is_empty() {
        return format!("none logged (the ceiling assumes {CLIENTS} batches a commit)");
    }
    let mut sorted = sizes.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "{} committed, requests each mean {:.0}, p50 {}, p90 {}, max {}",
        sizes.len(),
        sizes.iter().sum::<usize>() as f64 / sizes.len() as f64,
        at(0.5),
        at(0.9),
        at(1.0)
    )
}

struct Ceiling {
    took: Duration,
    cpu: f64,
    commits: usize,
    /// Of `took`, the time in COMMIT (the WAL's sync, and the checkpoints it runs).
    in_commit: Duration,
}

/// SQLite's own rate: `batches` batches' rows (a session row, 6 program runs, 6 feature events
/// each) inserted with prepared statements, `per_commit` batches per IMMEDIATE transaction,
/// into a fresh file of the aggregator's schema with its pragmas. Times the first BEGIN to the
/// last COMMIT (the rows are made inside, as the aggregator makes its own).
fn ceiling(path: &Path, batches: usize, per_commit: usize) -> anyhow::Result<Ceiling> {
    crate::migrate(&format!("sqlite:{}", path.display())).context("migrating the ceiling")?;
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "no WAL mode: {mode}");
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;")?;
    let mut in_commit = Duration::ZERO;
    let now = chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string();
    let cpu = cpu_secs(std::process::id());
    let started = Instant::now();
    let (mut done, mut commits) = (0, 0);
    while done < batches {
        let n = per_commit.min(batches - done);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut session = tx.prepare_cached(
                "INSERT INTO ide_sessions (session_id, site_id, visitor_hash, ip_address, user_agent, browser, os, device, \
                 first_seen_at, last_seen_at, start_estimate, max_offset_ms, visible_ms, active_ms, end_offset_ms, \
                 start_time, last_activity, end_time, duration_seconds, active_seconds, programs_run, lines_executed, \
                 errors_encountered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
                 ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            let mut program = tx.prepare_cached(
                "INSERT INTO program_executions (event_id, session_id, seq, timestamp, program_lines, execution_time_ms, \
                 lines_executed, success, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )?;
            let mut feature = tx.prepare_cached(
                "INSERT INTO feature_usage (event_id, session_id, seq, timestamp, feature_name, feature_data) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )?;
            for b in done..done + n {
                let id = format!("{:032x}", rand::random::<u128>());
                let visitor = format!("{:064x}", rand::random::<u128>());
                session.execute(params![
                    id,
                    "ide",
                    visitor,
                    None::<String>,
                    "Firefox 128 / Linux / desktop",
                    "Firefox",
                    "Linux",
                    "desktop",
                    now,
                    now,
                    now,
                    57_000,
                    57_000,
                    19_000,
                    None::<i64>,
                    now,
                    now,
                    None::<String>,
                    57,
                    19,
                    PROGRAMS_PER_BATCH as i64,
                    LINES_PER_BATCH,
                    ERRORS_PER_BATCH,
                ])?;
                for i in 0..PROGRAMS_PER_BATCH {
                    let failed = i % 3 == 0;
                    program.execute(params![
                        &rand::random::<[u8; 16]>()[..],
                        id,
                        (b * 20 + i) as i64,
                        now,
                        12,
                        35,
                        if failed { 240 } else { 96 },
                        !failed,
                        failed.then_some("?SYNTAX ERROR IN 20"),
                    ])?;
                }
                for i in 0..FEATURES_PER_BATCH {
                    feature.execute(params![
                        &rand::random::<[u8; 16]>()[..],
                        id,
                        (b * 20 + 10 + i) as i64,
                        now,
                        "debugger",
                        r#"{"breakpoints":2}"#,
                    ])?;
                }
            }
        }
        let at = Instant::now();
        tx.commit()?;
        in_commit += at.elapsed();
        done += n;
        commits += 1;
    }
    Ok(Ceiling {
        took: started.elapsed(),
        cpu: cpu_secs(std::process::id()) - cpu,
        commits,
        in_commit,
    })
}

/// What a load left in the aggregator's store, for the sessions of one run.
#[derive(Debug, PartialEq, Eq)]
pub struct Stored {
    pub sessions: i64,
    pub programs: i64,
    pub features: i64,
    pub runs_counted: i64,
    pub errors_counted: i64,
    pub lines_counted: i64,
    pub max_offset_ms: i64,
}

impl Stored {
    /// Whether these are the rows and counters of exactly `acked` batches of [`payload::batch`].
    pub fn is_batches(&self, acked: i64) -> bool {
        *self
            == Stored {
                sessions: self.sessions,
                programs: acked * PROGRAMS_PER_BATCH as i64,
                features: acked * FEATURES_PER_BATCH as i64,
                runs_counted: acked * PROGRAMS_PER_BATCH as i64,
                errors_counted: acked * ERRORS_PER_BATCH,
                lines_counted: acked * LINES_PER_BATCH,
                max_offset_ms: self.max_offset_ms,
            }
    }

    /// "12 sessions, 72 program runs, 72 features; counters 72 runs, 24 errors, 10368 lines"
    pub fn summary(&self) -> String {
        format!(
            "{} sessions, {} program runs, {} features; counters {} runs, {} errors, {} lines",
            self.sessions,
            self.programs,
            self.features,
            self.runs_counted,
            self.errors_counted,
            self.lines_counted
        )
    }
}

/// The counting query of [`Stored`] for the sessions whose id starts with `run` (see
/// [`payload::session_id`]): the same SQL on SQLite and MySQL, `?` the LIKE pattern.
pub const STORED_SESSIONS: &str = "SELECT COUNT(*), CAST(COALESCE(SUM(programs_run), 0) AS SIGNED), \
     CAST(COALESCE(SUM(errors_encountered), 0) AS SIGNED), CAST(COALESCE(SUM(lines_executed), 0) AS SIGNED), \
     CAST(COALESCE(SUM(max_offset_ms), 0) AS SIGNED) FROM ide_sessions WHERE session_id LIKE ?";

/// The LIKE pattern of the session ids of run `run`.
pub fn run_pattern(run: u64) -> String {
    format!("{run:016x}%")
}

/// Counts while the aggregator runs (WAL: a reader does not stop its writer); every
/// acknowledged request has committed by then, and a closed loop has none left in flight.
fn stored(file: &Path, run: u64) -> anyhow::Result<Stored> {
    let conn = Connection::open(file)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    let prefix = run_pattern(run);
    let count = |table: &str| -> rusqlite::Result<i64> {
        conn.query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE session_id LIKE ?1"),
            [&prefix],
            |r| r.get(0),
        )
    };
    let (programs, features) = (count("program_executions")?, count("feature_usage")?);
    let sessions = conn.query_row(STORED_SESSIONS, [&prefix], |r| {
        Ok(Stored {
            sessions: r.get(0)?,
            programs,
            features,
            runs_counted: r.get(1)?,
            errors_counted: r.get(2)?,
            lines_counted: r.get(3)?,
            max_offset_ms: r.get(4)?,
        })
    })?;
    Ok(sessions)
}

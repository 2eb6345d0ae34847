//! The measurements against the running aggregator (a to d), each printing its line, with the
//! CPU seconds each process spent during it: on two shared cores that split is what limits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ceiling::{self, Rows};
use crate::load::{self, MakeBody, Outcome};
use crate::mariadb::ThrowawayMariaDb;
use crate::payload::{self, EVENTS_PER_BATCH, FEATURES_PER_BATCH, PROGRAMS_PER_BATCH};
use crate::procs::Server;

/// CPU seconds (user + system) of a process so far, from /proc/<pid>/stat.
pub fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5); CLK_TCK is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU use of the aggregator (or bare server), MariaDB and this load generator over a phase.
pub struct Cpu {
    pids: [u32; 3],
    start: [f64; 3],
    wall: Instant,
}

impl Cpu {
    pub fn start(server: &Server, db: &ThrowawayMariaDb) -> Cpu {
        let pids = [server.pid(), db.pid(), std::process::id()];
        Cpu {
            pids,
            start: pids.map(cpu_secs),
            wall: Instant::now(),
        }
    }

    /// CPU seconds the server, mariadbd and this load generator spent since the start.
    pub fn used(&self) -> [f64; 3] {
        std::array::from_fn(|i| cpu_secs(self.pids[i]) - self.start[i])
    }

    /// "server 9.1 s, mariadbd 7.9 s, load 2.6 s of 20.0 core-s"
    pub fn report(&self, server: &str) -> String {
        let used = self.used();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        format!(
            "cpu: {server} {:.1} s, mariadbd {:.1} s, load generator {:.1} s of {:.1} core-s",
            used[0],
            used[1],
            used[2],
            self.wall.elapsed().as_secs_f64() * cores as f64
        )
    }
}

pub fn latency(out: &Outcome) -> String {
    format!(
        "p50 {:.1} ms, p99 {:.1} ms",
        out.quantile_ms(0.5),
        out.quantile_ms(0.99)
    )
}

/// The load of (a): 256 clients, each running sessions of 10 batches (10 minutes of a busy IDE)
/// one after the other, so sessions start and grow as they would in production.
async fn batched_load(agg: &Server, secs: u64) -> anyhow::Result<Outcome> {
    let body: MakeBody =
        Arc::new(|s, i| payload::batch(&payload::session_id(1, s * 1_000_000 + i / 10), i % 10));
    load::closed_loop(agg.addr, 256, 100_000, Duration::from_secs(secs), body).await
}

/// a. Batches of 20 events from concurrent sessions, against MariaDB's own insert rate.
/// Returns the events per second.
pub async fn batched(agg: &Server, db: &ThrowawayMariaDb, secs: u64) -> anyhow::Result<f64> {
    let cpu = Cpu::start(agg, db);
    let out = batched_load(agg, secs).await?;
    let report = cpu.report("aggregator");
    let batches = out.ok as usize;
    let rows = Rows {
        sessions: batches,
        programs: batches * PROGRAMS_PER_BATCH,
        features: batches * FEATURES_PER_BATCH,
    };
    let events_per_s = out.per_second() * EVENTS_PER_BATCH as f64;
    let rows_per_s = rows.total() as f64 / out.elapsed.as_secs_f64();
    let (agg_cpu, db_cpu) = (cpu_secs(agg.pid()), cpu_secs(db.pid()));
    let rows_us = |secs: f64| secs * 1e6 / rows.total().max(1) as f64;
    let per_row = format!(
        "aggregator {:.1} us, mariadbd {:.1} us",
        rows_us(agg_cpu - cpu.start[0]),
        rows_us(db_cpu - cpu.start[1])
    );
    let ceiling_db_cpu = cpu_secs(db.pid());
    let took = ceiling::measure(&db.url("ceiling"), rows).await?;
    let ceiling_db_us = rows_us(cpu_secs(db.pid()) - ceiling_db_cpu);
    let ceiling_rows = rows.total() as f64 / took.as_secs_f64();
    println!(
        "a. batched ingest: {events_per_s:.0} events/s ({:.0} batches of {EVENTS_PER_BATCH}/s, {rows_per_s:.0} rows/s, {} errors), \
         committed before each 200; MariaDB multi-row INSERT of the same {} rows: {ceiling_rows:.0} rows/s; \
         ratio {:.2} (target >= 0.7)",
        out.per_second(),
        out.errors,
        rows.total(),
        rows_per_s / ceiling_rows
    );
    println!("   {report}; batch {}", latency(&out));
    println!("   cpu per row stored: {per_row}; the ceiling's mariadbd {ceiling_db_us:.1} us");
    Ok(events_per_s)
}

pub fn heartbeats(run: u64) -> MakeBody {
    Arc::new(move |s, i| payload::heartbeat(&payload::session_id(run, s), i + 1))
}

/// The sessions of (b): 1,000, or BENCH_SESSIONS (another concurrency, to see latency without
/// queueing (1) or beyond).
fn heartbeat_sessions() -> u64 {
    std::env::var("BENCH_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000u64)
        .clamp(1, 5000)
}

/// b. Single heartbeats from 1,000 sessions, against a bare axum handler. Returns the requests
/// per second.
pub async fn single(
    agg: &Server,
    bare: &Server,
    db: &ThrowawayMariaDb,
    secs: u64,
) -> anyhow::Result<f64> {
    let duration = Duration::from_secs(secs);
    let sessions = heartbeat_sessions();
    let cpu = Cpu::start(bare, db);
    let floor = load::closed_loop(bare.addr, sessions, 1_000_000, duration, heartbeats(2)).await?;
    let bare_cpu = cpu.report("bare axum");
    let cpu = Cpu::start(agg, db);
    let out = load::closed_loop(agg.addr, sessions, 1_000_000, duration, heartbeats(2)).await?;
    let agg_cpu = cpu.report("aggregator");
    println!(
        "b. single heartbeats, {sessions} sessions: {:.0} req/s ({}; {} errors); bare axum handler {:.0} req/s ({}); \
         ratio {:.2} (target >= 0.5)",
        out.per_second(),
        latency(&out),
        out.errors,
        floor.per_second(),
        latency(&floor),
        out.per_second() / floor.per_second()
    );
    println!("   aggregator {agg_cpu}\n   bare {bare_cpu}");
    Ok(out.per_second())
}

/// What (a) and (b) measured with metrics on, for [`metrics_off`].
#[derive(Default)]
pub struct WithMetrics {
    pub batched_events_per_s: Option<f64>,
    pub single_req_per_s: Option<f64>,
}

/// BENCH_METRICS_COMPARE=1: (a) and (b) once more, right after the normal run, against an
/// aggregator with `USAGE_METRICS=false` (no recorder, no `/metrics`, no request counter) on a
/// fresh database of the same server, as the first one was; then once more with metrics on
/// again (a fresh aggregator and database), so that a drift of the machine over the minutes
/// shows as a difference between the two runs with metrics. Prints the figures and the ratios
/// on/off. One run each on a shared machine: read a ratio within the on runs' spread as noise.
pub async fn metrics_off(db: &ThrowawayMariaDb, secs: u64, on: &WithMetrics) -> anyhow::Result<()> {
    let off = rates_of(db, "bench_off", &[("USAGE_METRICS", "false")], secs, on).await?;
    let again = rates_of(db, "bench_on2", &[], secs, on).await?;
    let compared = |name: &str, unit: &str, on: Option<f64>, off: Option<f64>| {
        let (on, off) = (on?, off?);
        Some(format!(
            "{name} {on:.0} vs {off:.0} {unit} (ratio {:.2})",
            on / off.max(f64::MIN_POSITIVE)
        ))
    };
    let line = |on: &WithMetrics| -> String {
        [
            compared(
                "a",
                "events/s",
                on.batched_events_per_s,
                off.batched_events_per_s,
            ),
            compared("b", "req/s", on.single_req_per_s, off.single_req_per_s),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
    };
    println!("metrics on/off: {}", line(on));
    println!("   metrics on again after the off run: {}", line(&again));
    Ok(())
}

/// The loads of (a) and (b) that `on` has figures for, against a fresh aggregator with `env` on
/// a fresh database `name`.
async fn rates_of(
    db: &ThrowawayMariaDb,
    name: &str,
    env: &[(&str, &str)],
    secs: u64,
    on: &WithMetrics,
) -> anyhow::Result<WithMetrics> {
    db.create_database(name).await?;
    let agg = crate::procs::aggregator_with(&db.url(name), env).await?;
    let mut rates = WithMetrics::default();
    let mut errors = 0;
    if on.batched_events_per_s.is_some() {
        let out = batched_load(&agg, secs).await?;
        errors += out.errors;
        rates.batched_events_per_s = Some(out.per_second() * EVENTS_PER_BATCH as f64);
    }
    if on.single_req_per_s.is_some() {
        let duration = Duration::from_secs(secs);
        let sessions = heartbeat_sessions();
        let out = load::closed_loop(agg.addr, sessions, 1_000_000, duration, heartbeats(2)).await?;
        errors += out.errors;
        rates.single_req_per_s = Some(out.per_second());
    }
    agg.stop();
    if errors > 0 {
        println!("   ({errors} errors in the loads on {name})");
    }
    Ok(rates)
}

/// c. Open loop at sessions/15 s, stepping up until p99 reaches 50 ms or a request fails (the
/// figure). A step that fails on p99 alone while the disk probe saw a sync of 50 ms or more is
/// run once more (every request waits for a sync, so such a stall fails any aggregator); the
/// figure without that retry is printed too. The steps go on while the median stays under 50 ms
/// without errors, to show where the aggregator stops keeping up.
pub async fn sustained(agg: &Server, db: &ThrowawayMariaDb, secs: u64) -> anyhow::Result<()> {
    const STEPS: [u64; 10] = [
        10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 400_000, 500_000,
    ];
    let (mut passed, mut strict, mut kept_up) = (None, None, None);
    let (mut failed, mut failed_strict) = (false, false);
    let mut sent = 0u64;
    for sessions in STEPS {
        let mut tries = 0;
        let out = loop {
            tries += 1;
            let (out, disk_max) = step(agg, db, secs, sessions, &mut sent).await?;
            let p99_only = out.errors == 0 && out.quantile_ms(0.99) >= 50.0;
            if tries == 1 {
                failed_strict |= out.errors > 0 || p99_only;
            }
            if p99_only && disk_max >= 50.0 && tries == 1 {
                println!("     (run once more: the disk stalled for {disk_max:.0} ms)");
                continue;
            }
            break out;
        };
        failed |= out.errors > 0 || out.quantile_ms(0.99) >= 50.0;
        if !failed {
            passed = Some(sessions);
        }
        if !failed_strict {
            strict = Some(sessions);
        }
        if out.errors > 0 || out.quantile_ms(0.5) >= 50.0 {
            break;
        }
        kept_up = Some(sessions);
    }
    let shown = |n: Option<u64>| {
        n.map_or("none".to_string(), |n| {
            format!("{n} sessions ({:.0} req/s)", n as f64 / 15.0)
        })
    };
    println!(
        "c. sustained at a 15 s heartbeat interval with p99 < 50 ms: {} (target >= 500000); \
         without re-running steps hit by a disk stall: {}; kept up (no errors, p50 < 50 ms) to {}",
        shown(passed),
        shown(strict),
        shown(kept_up)
    );
    Ok(())
}

/// One step of (c): `sessions` / 15 requests per second for `secs`, with the disk probe beside.
async fn step(
    agg: &Server,
    db: &ThrowawayMariaDb,
    secs: u64,
    sessions: u64,
    sent: &mut u64,
) -> anyhow::Result<(Outcome, f64)> {
    let rate = sessions as f64 / 15.0;
    let offset = *sent;
    let body: MakeBody = Arc::new(move |i, _| {
        let j = offset + i;
        payload::heartbeat(&payload::session_id(3, j % sessions), j / sessions + 1)
    });
    let cpu = Cpu::start(agg, db);
    let probe = crate::disk::Probe::start(db.dir(), Duration::from_secs(secs + 10));
    let out = load::open_loop(agg.addr, rate, Duration::from_secs(secs), 2000, body).await?;
    let (disk, disk_max) = probe.finish();
    *sent += out.ok + out.errors;
    println!(
        "   c step {sessions} sessions = {rate:.0} req/s for {secs} s: {} ok, {} errors, {}; {disk}; {}",
        out.ok,
        out.errors,
        latency(&out),
        cpu.report("aggregator")
    );
    Ok((out, disk_max))
}

/// d. Aggregator memory once 100,000 sessions have sent a batch and not ended, on an aggregator
/// started for d alone (main.rs), so that RSS and peak are those of the 100k live sessions.
pub async fn memory(agg: &Server, db: &ThrowawayMariaDb) -> anyhow::Result<()> {
    let cpu = Cpu::start(agg, db);
    let body: MakeBody = Arc::new(|s, i| payload::opening(&payload::session_id(4, s * 100 + i)));
    let out = load::closed_loop(agg.addr, 1000, 100, Duration::from_secs(180), body).await?;
    let (rss, peak) = agg.memory_kib()?;
    println!(
        "d. aggregator memory (a fresh process) with {} new live sessions ({} errors, {:.0} req/s): RSS {:.1} MB, peak {:.1} MB (target < 100 MB)",
        out.ok,
        out.errors,
        out.per_second(),
        rss as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!("   {}", cpu.report("aggregator"));
    Ok(())
}

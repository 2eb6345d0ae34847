//! `usage-bench`: starts a throwaway MariaDB, the release aggregator and a bare axum server as
//! child processes, drives them from a load generator on 127.0.0.1, and prints one line per
//! figure (a to i, see BENCHMARKS.md); g runs the aggregator on its embedded SQLite store.
//! `usage-bench bare-server PORT` is the bare server itself; `usage-bench send PORT COUNT CONNS
//! FIRST_BEAT` sends exactly COUNT heartbeats of figure b's shape (scripts/count-per-request.sh).
//! h is the mixed load of normal and hostile clients against the edge's defaults; i the batched
//! load through two replicas on a three-node Galera cluster against one standalone node; j the
//! stats API over f's 1M sessions (seeding them itself without f); m the memory and answer sizes
//! of 24 parallel report reads of issue 23's hostile dataset; k a year of summaries (365 days)
//! read by every stats route, and the summary tables' bytes per stored day; n new sessions (each
//! request a session's first batch) against MariaDB's own insert of the same rows.
//! `--only abcdefghijkmn` picks figures; BENCH_SECS sets the length of each timed run (default 10).
//! BENCH_METRICS_COMPARE=1 runs a and b once more with the aggregator's metrics off and prints
//! "metrics on/off" (see `phases::metrics_off`). k's diagnostics: BENCH_AGG_LOG (the aggregator's
//! USAGE_LOG), BENCH_HOLD_SECS (keeps its database for probing), BENCH_PROFILE=1 (its statements).

mod bound;
mod ceiling;
mod client_size;
mod disk;
mod embedded;
mod galera;
mod hostile;
mod http;
mod load;
mod mariadb;
mod new_sessions;
mod payload;
mod phases;
mod procs;
mod read_memory;
mod rollup;
mod stats_routes;
mod year;

use std::time::Instant;

use anyhow::Context;

/// A free loopback port below the ephemeral range, where the bench's own outgoing connections
/// cannot take it before the server binds it (usage_test_support::free_port).
pub fn free_port() -> anyhow::Result<u16> {
    usage_test_support::free_port().map_err(anyhow::Error::msg)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("bare-server") {
        let port = args.get(2).context("bare-server PORT")?.parse()?;
        return procs::serve_bare(port).await;
    }
    if args.get(1).map(String::as_str) == Some("send") {
        return send(&args[2..]).await;
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| "abcdefghijkmn".into());
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .clamp(1, 60);
    let started = Instant::now();
    if only.chars().any(|c| "abcdfhjkmn".contains(c)) {
        mariadb_figures(&only, secs).await?;
    }
    if only.contains('e') {
        client_size_figure().await?;
    }
    if only.contains('g') {
        embedded::figure(secs).await?;
    }
    if only.contains('i') {
        galera::figure(secs).await?;
    }
    eprintln!("bench took {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `send PORT COUNT CONNS FIRST_BEAT`: COUNT heartbeats (a multiple of CONNS) to 127.0.0.1:PORT
/// from CONNS sessions, one keep-alive connection each, closed loop as figure b; each session's
/// beats are numbered from FIRST_BEAT, so that a later call goes on where an earlier one stopped.
/// A fixed number of requests, for counting what the server does per request.
async fn send(args: &[String]) -> anyhow::Result<()> {
    let number = |i: usize, what: &str| -> anyhow::Result<u64> {
        let text = args
            .get(i)
            .with_context(|| format!("send: {what} missing"))?;
        text.parse().with_context(|| format!("send: {what}"))
    };
    let (port, count, conns, first) = (
        number(0, "PORT")?,
        number(1, "COUNT")?,
        number(2, "CONNS")?.max(1),
        number(3, "FIRST_BEAT")?,
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], u16::try_from(port)?));
    let body: load::MakeBody =
        std::sync::Arc::new(move |s, i| payload::heartbeat(&payload::session_id(5, s), first + i));
    let window = std::time::Duration::from_secs(3600);
    let out = load::closed_loop(addr, conns, count / conns, window, body).await?;
    println!("{} ok, {} errors", out.ok, out.errors);
    anyhow::ensure!(out.errors == 0, "send: {} requests failed", out.errors);
    Ok(())
}

/// Figures a to d, f, h, j, k, m and n, against a throwaway MariaDB (stopped when they are done).
async fn mariadb_figures(only: &str, secs: u64) -> anyhow::Result<()> {
    let db = mariadb::ThrowawayMariaDb::start().await?;
    if mariadb::flush_log_at_commit() != 1 {
        println!(
            "(diagnostic run: innodb_flush_log_at_trx_commit = 2, commits are not synced to disk)"
        );
    }
    for name in ["bench", "ceiling", "rollup"] {
        db.create_database(name).await?;
    }
    migrate(&db.url("ceiling"))?;
    migrate(&db.url("rollup"))?;
    if only.chars().any(|c| "abc".contains(c)) {
        let agg = procs::aggregator(&db.url("bench")).await?;
        let mut with_metrics = phases::WithMetrics::default();
        let mut from_b = None;
        if only.contains('a') {
            with_metrics.batched_events_per_s = Some(phases::batched(&agg, &db, secs).await?);
            db.print_profile("bench").await?;
        }
        if only.contains('b') {
            let bare = procs::bare().await?;
            let (rate, b) = phases::single(&agg, &bare, &db, secs).await?;
            with_metrics.single_req_per_s = Some(rate);
            from_b = Some(b);
            db.print_profile("bench").await?;
            bare.stop();
        }
        // Right after (a) and (b), before the longer figures change the database server's state.
        let compare = std::env::var("BENCH_METRICS_COMPARE").is_ok_and(|v| v == "1");
        if compare && (only.contains('a') || only.contains('b')) {
            phases::metrics_off(&db, secs, &with_metrics).await?;
        }
        agg.stop();
        if only.contains('c') {
            sustained_both(&db, secs, from_b).await?;
        }
    }
    if only.contains('n') {
        // An aggregator and a database of its own: its CPU and rows are the figure's alone.
        new_sessions::figure(&db, secs).await?;
    }
    if only.contains('d') {
        // A process of its own: VmHWM is the whole process's high-water mark, so in the
        // aggregator of a to c it would include what c's overload steps left in the heap.
        db.create_database("bench_d").await?;
        let agg = procs::aggregator(&db.url("bench_d")).await?;
        phases::memory(&agg, &db).await?;
        db.print_profile("bench_d").await?;
        agg.stop();
    }
    if only.contains('f') {
        rollup_figure(&db).await?;
        db.print_profile("rollup").await?;
    }
    if only.contains('j') {
        stats_routes::figure(&db).await?;
    }
    if only.contains('k') {
        year::figure(&db).await?;
    }
    if only.contains('h') {
        hostile::figure(&db, secs).await?;
    }
    if only.contains('m') {
        read_memory::figure(&db).await?;
    }
    Ok(())
}

/// c twice, each on an aggregator and database of its own: with the heartbeat journal off, then
/// on (whatever USAGE_HEARTBEAT_JOURNAL says), so that every run shows both.
async fn sustained_both(
    db: &mariadb::ThrowawayMariaDb,
    secs: u64,
    from_b: Option<bound::FromB>,
) -> anyhow::Result<()> {
    for journal in [false, true] {
        let name = if journal { "bench_c_on" } else { "bench_c_off" };
        db.create_database(name).await?;
        let value = bound::on_off(journal);
        let env = [(
            "USAGE_HEARTBEAT_JOURNAL",
            if journal { "true" } else { "false" },
        )];
        let agg = procs::aggregator_with(&db.url(name), &env).await?;
        // A fresh process: its first requests open the pool's connections and make the day's
        // salt, which put a second-long p99 on c's first step; a few seconds of b's load first.
        let warm = std::time::Duration::from_secs(3);
        load::closed_loop(agg.addr, 200, 1_000, warm, phases::heartbeats(6)).await?;
        println!("   c with the heartbeat journal {value}:");
        phases::sustained(&agg, db, secs, journal, from_b).await?;
        db.print_profile(name).await?;
        agg.stop();
    }
    Ok(())
}

/// e: the client as a page downloads it over HTTP (needs no MariaDB).
async fn client_size_figure() -> anyhow::Result<()> {
    let Some(files) = client_size::measure().await? else {
        println!(
            "e. client size: {} is missing: run `make client` first",
            client_size::dir().display()
        );
        return Ok(());
    };
    let total: u64 = files.iter().map(|f| f.bytes).sum();
    let parts: Vec<String> = files
        .iter()
        .map(|f| format!("{} {} B {} (raw {} B)", f.file, f.bytes, f.encoding, f.raw))
        .collect();
    println!(
        "e. client over HTTP with Accept-Encoding: br, gzip: {total} B ({:.1} KB; target <= 10 KB): {}",
        total as f64 / 1024.0,
        parts.join(", ")
    );
    Ok(())
}

pub fn migrate(url: &str) -> anyhow::Result<()> {
    let status = std::process::Command::new(procs::sibling("usage-aggregator")?)
        .arg("migrate")
        .env("USAGE_DATABASE_URL", url)
        .env("USAGE_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "usage-aggregator migrate failed");
    Ok(())
}

async fn rollup_figure(db: &mariadb::ThrowawayMariaDb) -> anyhow::Result<()> {
    if !rollup::available()? {
        println!("f. rollup: not available yet");
        return Ok(());
    }
    rollup::figure(&db.url("rollup"), 1_000_000).await
}

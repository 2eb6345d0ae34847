//! m: memory per report read (issue 23), on MariaDB and on SQLite (the same code, the store a
//! parameter). The hostile dataset of issue 23 through the real ingest from one client, within one
//! client's default burst of 1,000 requests: 300 requests of 100 failed runs with distinct
//! messages, 200 of 100 new feature names, 100 of 100 distinct data texts of one feature, 390 new
//! site ids. Then 24 report reads at once (two dashboard loads of every stats route, today's
//! summaries refreshed first, as `serve`'s summary refresh keeps them): the aggregator's peak RSS
//! growth during them (VmHWM reset through /proc/PID/clear_refs just before) and every answer's
//! size. Then 600 more requests of 100 distinct failed runs (90,000 in all: issue 23 saw four
//! parallel `/errors` peak at 493 MB on that) and the same 24 reads again. Targets: growth <= 64
//! MB, every answer <= 100 KB.

use std::time::Instant;

use crate::http::Conn;
use crate::mariadb::ThrowawayMariaDb;
use crate::procs;

const TOKEN: &str = "bench-admin-token-0123456789";
const PER_REQUEST: usize = 100;
/// Every stats route, as a dashboard load reads them (the hourly series: today's hours).
const ROUTES: [&str; 12] = [
    "/api/v1/stats/daily",
    "/api/v1/stats/hourly",
    "/api/v1/stats/time",
    "/api/v1/stats/features",
    "/api/v1/stats/clients",
    "/api/v1/stats/programs",
    "/api/v1/stats/errors",
    "/api/v1/stats/live",
    "/api/v1/stats/sessions",
    "/api/v1/stats/features/save",
    "/api/v1/stats/journey",
    "/api/v1/stats/funnel",
];
const PARALLEL: usize = 24;

fn id(n: usize) -> String {
    format!(
        "{:032x}",
        (n as u128) * 0x9e37_79b9_7f4a_7c15 + rand::random::<u32>() as u128
    )
}

/// `i` in letters only: grouping turns digits into `#`, letters keep every message apart.
fn word(mut i: usize) -> String {
    let mut out = String::new();
    loop {
        out.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return out;
        }
    }
}

/// One batch of `events` (JSON texts) of a new session on `site`.
fn batch(site: &str, n: usize, events: Vec<String>) -> Vec<u8> {
    format!(
        r#"{{"site": "{site}", "session": "{}", "sent": 1000, "events": [{}]}}"#,
        id(n),
        events.join(",")
    )
    .into_bytes()
}

/// One event; `fields` are its own (JSON members), if any.
fn event(n: usize, seq: usize, kind: &str, fields: &str) -> String {
    let sep = if fields.is_empty() { "" } else { ", " };
    format!(
        r#"{{"id": "{}", "seq": {seq}, "t": 500, "type": "{kind}"{sep}{fields}}}"#,
        id(n * 1000 + seq)
    )
}

/// Requests `requests` of 100 failed runs each, every message distinct.
fn failed_runs(requests: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    requests
        .map(|r| {
            let events = (0..PER_REQUEST)
                .map(|k| {
                    let message = format!("?HOSTILE {} ERROR", word(r * PER_REQUEST + k));
                    let fields = format!(
                        r#""program_lines": 10, "execution_time_ms": 5, "lines_executed": 3, "success": false, "error_message": "{message}""#
                    );
                    event(r, k, "program_run", &fields)
                })
                .collect();
            batch("ide", 100_000 + r, events)
        })
        .collect()
}

/// Posts `bodies`; (requests answered 200, requests refused 422).
async fn send(conn: &mut Conn, bodies: &[Vec<u8>]) -> anyhow::Result<(usize, usize)> {
    let (mut ok, mut refused) = (0, 0);
    for body in bodies {
        match conn.post("/api/v1/events", body).await? {
            200 => ok += 1,
            422 => refused += 1,
            other => anyhow::bail!("the ingest answered {other}"),
        }
    }
    Ok((ok, refused))
}

/// Sends the dataset; (requests answered 200, requests refused 422).
async fn seed(conn: &mut Conn) -> anyhow::Result<(usize, usize)> {
    let mut bodies = failed_runs(0..300);
    for r in 0..200 {
        let events = (0..PER_REQUEST)
            .map(|k| {
                let name = format!("f-{}", word(r * PER_REQUEST + k));
                event(
                    r,
                    k,
                    "feature",
                    &format!(r#""name": "{name}", "data": {{"k": 1}}"#),
                )
            })
            .collect();
        bodies.push(batch("ide", bodies.len(), events));
    }
    for r in 0..100 {
        let events = (0..PER_REQUEST)
            .map(|k| {
                let data = format!(
                    r#"{{"name": "{}", "note": "{}"}}"#,
                    word(r * PER_REQUEST + k),
                    "x".repeat(80)
                );
                event(
                    r,
                    k,
                    "feature",
                    &format!(r#""name": "save", "data": {data}"#),
                )
            })
            .collect();
        bodies.push(batch("ide", bodies.len(), events));
    }
    for s in 0..390 {
        let start = event(s, 0, "start", "");
        bodies.push(batch(
            &format!("site-{}", word(s)),
            bodies.len(),
            vec![start],
        ));
    }
    send(conn, &bodies).await
}

pub async fn figure(db: &ThrowawayMariaDb) -> anyhow::Result<()> {
    db.create_database("bench_m").await?;
    on_store("MariaDB", &db.url("bench_m")).await?;
    let dir = crate::embedded::TempDir::new()?;
    let file = dir.0.join("bench_m.sqlite3");
    on_store("SQLite", &format!("sqlite:{}", file.display())).await
}

/// The figure on the store `url` names (`store` is its name in the printed lines).
async fn on_store(store: &str, url: &str) -> anyhow::Result<()> {
    // The reads answer from the summaries only: `usage-aggregator rollup` (the summary refresh's
    // code, in a process of its own so that its memory is not counted) brings them up to date
    // before each round; `serve`'s own refresh and rollup wait an hour, off the measurement.
    let env = [
        ("USAGE_ADMIN_TOKEN", TOKEN),
        ("USAGE_SUMMARY_REFRESH_SECS", "3600"),
        ("USAGE_ROLLUP_INTERVAL_SECS", "3600"),
    ];
    let agg = procs::aggregator_with(url, &env).await?;
    let mut conn = Conn::connect(agg.addr).await?;
    let seeding = Instant::now();
    let (ok, refused) = seed(&mut conn).await?;
    println!(
        "   m on {store} sent the hostile dataset in {:.1} s: {ok} requests stored, {refused} refused (422)",
        seeding.elapsed().as_secs_f64()
    );
    crate::rollup::run_due(url)?;
    read_round(&agg, store, "of the hostile dataset").await?;
    // Three times the failed runs (issue 23: 493 MB for four parallel /errors on the old code).
    let (more, _) = send(&mut conn, &failed_runs(300..900)).await?;
    anyhow::ensure!(more == 600, "{more} of 600 more requests stored");
    crate::rollup::run_due(url)?;
    read_round(&agg, store, "with 90,000 distinct failed runs").await?;
    agg.stop();
    Ok(())
}

/// 24 reads at once; prints the peak RSS growth during them and each route's answer size.
async fn read_round(agg: &procs::Server, store: &str, what: &str) -> anyhow::Result<()> {
    let (rss_before, _) = agg.memory_kib()?;
    // "5" resets the peak (VmHWM) to the current RSS: the peak after is the reads' own.
    std::fs::write(format!("/proc/{}/clear_refs", agg.pid()), "5")?;
    let mut reads = Vec::new();
    for i in 0..PARALLEL {
        let addr = agg.addr;
        reads.push(tokio::spawn(async move {
            let path = ROUTES[i % ROUTES.len()];
            let mut conn = Conn::connect(addr).await?;
            let sent = Instant::now();
            let (status, bytes) = conn.get_sized(path, TOKEN).await?;
            anyhow::ensure!(status == 200, "{path} answered {status}");
            Ok::<_, anyhow::Error>((path, bytes, sent.elapsed()))
        }));
    }
    let mut sizes: Vec<(&str, usize)> = Vec::new();
    let mut slowest = std::time::Duration::ZERO;
    for read in reads {
        let (path, bytes, took) = read.await??;
        slowest = slowest.max(took);
        match sizes.iter_mut().find(|(p, _)| *p == path) {
            Some((_, b)) => *b = (*b).max(bytes),
            None => sizes.push((path, bytes)),
        }
    }
    let (_, peak) = agg.memory_kib()?;
    let growth_mb = peak.saturating_sub(rss_before) as f64 / 1024.0;
    let largest = sizes.iter().map(|(_, b)| *b).max().unwrap_or(0);
    let listed: Vec<String> = sizes
        .iter()
        .map(|(p, b)| {
            format!(
                "{} {:.1} KB",
                p.trim_start_matches("/api/v1/stats/"),
                *b as f64 / 1024.0
            )
        })
        .collect();
    println!(
        "m. {PARALLEL} parallel report reads on {store} {what}: peak RSS growth {growth_mb:.1} MB \
         (RSS before {:.1} MB; target <= 64 MB), largest answer {:.1} KB (target <= 100 KB), \
         slowest read {:.0} ms; answers: {}",
        rss_before as f64 / 1024.0,
        largest as f64 / 1024.0,
        slowest.as_secs_f64() * 1000.0,
        listed.join(", ")
    );
    Ok(())
}

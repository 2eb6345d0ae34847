//! i. Scale-out: the batched load of (a) through two aggregator replicas, each on its own node of
//! a three-node Galera cluster (tests/support's `GaleraCluster`), against the same load through
//! one aggregator on one standalone MariaDB started with the same options, in the same run. After
//! each load the stored rows and counters are counted against the acknowledged requests (exactly
//! once); the cluster's are counted on the third node, which no replica writes to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use mysql_async::prelude::Queryable;
use usage_test_support::{GaleraCluster, ThrowawayMariaDb};

use crate::embedded::{run_pattern, verdict, Cpu, Stored, STORED_SESSIONS};
use crate::load::{self, MakeBody, Outcome};
use crate::payload::{self, EVENTS_PER_BATCH};
use crate::phases::latency;
use crate::procs::{self, Server};

/// Clients of the batched load, as in (a): split evenly over the replicas.
const CLIENTS: u64 = 256;
/// Session ids of each load start with its run number (see `payload::session_id`).
const STANDALONE_RUN: u64 = 9;
const CLUSTER_RUN: u64 = 10;
const DATABASE: &str = "scale";

/// Options of every server of the figure, standalone and cluster nodes alike (a node's own
/// Galera options come on top): a buffer pool that holds the run's rows, as in (a).
fn options() -> Vec<String> {
    vec![
        "--innodb-buffer-pool-size=1G".into(),
        "--innodb-log-file-size=512M".into(),
        "--max-connections=500".into(),
        "--innodb-autoinc-lock-mode=2".into(),
        format!(
            "--innodb-flush-log-at-trx-commit={}",
            crate::mariadb::flush_log_at_commit()
        ),
    ]
}

/// What one side of the figure measured.
struct Side {
    out: Outcome,
    cpu: String,
    stored: Stored,
}

pub async fn figure(secs: u64) -> anyhow::Result<()> {
    if !GaleraCluster::installed() {
        println!("i. scale-out: Galera is not installed: run `make tools` (scripts/install-scale-out.sh)");
        return Ok(());
    }
    let started = Instant::now();
    let one = standalone(secs).await?;
    let formed = Instant::now();
    let cluster = GaleraCluster::try_start_with(3, &options())
        .await
        .map_err(anyhow::Error::msg)
        .context("starting the Galera cluster")?;
    let formed = formed.elapsed();
    let two = replicated(&cluster, secs).await?;
    drop(cluster);
    let events = |side: &Side| side.out.per_second() * EVENTS_PER_BATCH as f64;
    println!(
        "i. scale-out, batched ingest: two replicas on a three-node Galera cluster {:.0} events/s \
         ({:.0} batches/s, {} errors) against one aggregator on one standalone node {:.0} events/s \
         ({:.0} batches/s, {} errors); ratio {:.2}",
        events(&two),
        two.out.per_second(),
        two.out.errors,
        events(&one),
        one.out.per_second(),
        one.out.errors,
        events(&two) / events(&one)
    );
    for (name, side) in [("standalone", &one), ("cluster", &two)] {
        println!(
            "   {name}: {}; batch {}\n   {name} stored: {}: {}",
            side.cpu,
            latency(&side.out),
            side.stored.summary(),
            verdict(side.stored.is_batches(side.out.ok as i64), side.out.errors)
        );
    }
    println!(
        "   the cluster formed in {:.1} s; figure i took {:.0} s",
        formed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One aggregator on one standalone node, stopped (with its server) before the cluster starts.
async fn standalone(secs: u64) -> anyhow::Result<Side> {
    let server = ThrowawayMariaDb::try_start(&options())
        .await
        .map_err(anyhow::Error::msg)
        .context("starting the standalone MariaDB")?;
    let url = create_database(&server.url()).await?;
    crate::migrate(&url)?;
    let agg = procs::aggregator(&url).await?;
    let cpu = Cpu::of(&[("aggregator", agg.pid()), ("mariadbd", server.pid())]);
    let out = drive(&[&agg], STANDALONE_RUN, secs).await?;
    let cpu = cpu.report();
    let stored = stored(&url, STANDALONE_RUN).await?;
    agg.stop();
    Ok(Side { out, cpu, stored })
}

/// Two replicas, on nodes 1 and 2; the rows are counted on node 3.
async fn replicated(cluster: &GaleraCluster, secs: u64) -> anyhow::Result<Side> {
    let urls: Vec<String> = (0..cluster.size())
        .map(|node| format!("{}/{DATABASE}", cluster.url(node)))
        .collect();
    create_database(&cluster.url(0)).await?;
    crate::migrate(&urls[0])?;
    let replicas = [
        procs::aggregator(&urls[0]).await?,
        procs::aggregator(&urls[1]).await?,
    ];
    let cpu = Cpu::of(&[
        ("replica 1", replicas[0].pid()),
        ("replica 2", replicas[1].pid()),
        ("node 1", cluster.pid(0)),
        ("node 2", cluster.pid(1)),
        ("node 3", cluster.pid(2)),
    ]);
    let out = drive(&[&replicas[0], &replicas[1]], CLUSTER_RUN, secs).await?;
    let cpu = cpu.report();
    let stored = stored(&urls[2], CLUSTER_RUN).await?;
    for replica in replicas {
        replica.stop();
    }
    Ok(Side { out, cpu, stored })
}

/// The load of (a), its clients split evenly over `servers`, each client's sessions its own.
async fn drive(servers: &[&Server], run: u64, secs: u64) -> anyhow::Result<Outcome> {
    let per_server = CLIENTS / servers.len() as u64;
    let loads = servers.iter().enumerate().map(|(k, server)| {
        let first = k as u64 * per_server;
        let body: MakeBody = Arc::new(move |s, i| {
            let client = first + s;
            payload::batch(
                &payload::session_id(run, client * 1_000_000 + i / 10),
                i % 10,
            )
        });
        load::closed_loop(
            server.addr,
            per_server,
            100_000,
            Duration::from_secs(secs),
            body,
        )
    });
    let mut total = Outcome::default();
    for part in all_at_once(loads).await {
        let part = part?;
        total.ok += part.ok;
        total.errors += part.errors;
        total.elapsed = total.elapsed.max(part.elapsed);
        total.latencies_us.extend(part.latencies_us);
    }
    total.latencies_us.sort_unstable();
    Ok(total)
}

/// Runs the loads at the same time (each on tasks of its own) and returns their outcomes.
async fn all_at_once<F>(loads: impl Iterator<Item = F>) -> Vec<anyhow::Result<Outcome>>
where
    F: std::future::Future<Output = anyhow::Result<Outcome>> + Send + 'static,
{
    let tasks: Vec<_> = loads.map(tokio::spawn).collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap_or_else(|e| Err(e.into())));
    }
    outcomes
}

/// Creates the figure's database on `server` (a URL without a database); its URL.
async fn create_database(server: &str) -> anyhow::Result<String> {
    let pool = mysql_async::Pool::new(server);
    pool.get_conn()
        .await?
        .query_drop(format!("CREATE DATABASE {DATABASE}"))
        .await?;
    pool.disconnect().await?;
    Ok(format!("{server}/{DATABASE}"))
}

/// What the load of `run` left in the database at `url`, once every request was answered.
async fn stored(url: &str, run: u64) -> anyhow::Result<Stored> {
    let pool = mysql_async::Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let pattern = run_pattern(run);
    let mut rows = [0i64; 2];
    for (table, n) in ["program_executions", "feature_usage"]
        .iter()
        .zip(&mut rows)
    {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE session_id LIKE ?");
        *n = conn
            .exec_first(sql, (pattern.as_str(),))
            .await?
            .unwrap_or(0);
    }
    let [programs, features] = rows;
    let row: Option<(i64, i64, i64, i64, i64)> = conn
        .exec_first(STORED_SESSIONS, (pattern.as_str(),))
        .await?;
    let (sessions, runs_counted, errors_counted, lines_counted, max_offset_ms) =
        row.context("no count")?;
    drop(conn);
    pool.disconnect().await?;
    Ok(Stored {
        sessions,
        programs,
        features,
        runs_counted,
        errors_counted,
        lines_counted,
        max_offset_ms,
    })
}

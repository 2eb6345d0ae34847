//! The daily rollup over 1,000,000 sessions: seeded with multi-row INSERTs over ten days, then
//! the real `usage-aggregator rollup --from --to` timed as a child process.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{Pool, TxOpts, Value};

const CHUNK: usize = 1000;
pub const DAYS: u64 = 10;

/// Whether the built aggregator has the `rollup` command yet.
pub fn available() -> anyhow::Result<bool> {
    let help = Command::new(crate::procs::sibling("usage-aggregator")?)
        .arg("--help")
        .stderr(Stdio::null())
        .output()?;
    Ok(String::from_utf8_lossy(&help.stdout).contains("rollup"))
}

/// The ten days ending yesterday (UTC).
pub fn days() -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    (today - Days::new(DAYS), today - Days::new(1))
}

/// Inserts `sessions` sessions spread over [`days`]; returns how long it took.
pub async fn seed(url: &str, sessions: usize) -> anyhow::Result<Duration> {
    let pool = Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let (from, _) = days();
    let midnight = from.and_hms_opt(0, 0, 0).expect("midnight exists");
    let span_secs = DAYS as usize * 86_400;
    let started = Instant::now();
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let browsers = ["Firefox", "Chrome", "Safari", "Edge"];
    let oses = ["Linux", "Windows", "Mac OSX", "Android"];
    let mut done = 0;
    while done < sessions {
        let n = (sessions - done).min(CHUNK);
        let mut params = Vec::with_capacity(n * 16);
        for i in done..done + n {
            let start = midnight + chrono::Duration::seconds((i * span_secs / sessions) as i64);
            let duration = (i % 3600) as i64;
            let end = start + chrono::Duration::seconds(duration);
            params.extend([
                Value::from(format!("{i:032x}")),
                Value::from("ide"),
                Value::from(format!("{:032x}", i / 3)),
                Value::from(browsers[i % 4]),
                Value::from(oses[i / 4 % 4]),
                Value::from(if i % 5 == 0 { "mobile" } else { "desktop" }),
                Value::from(start),
                Value::from(end),
                Value::from(end),
                Value::from(duration),
                Value::from(duration / 2),
                Value::from((i % 7) as u32),
                Value::from((i % 7 * 100) as u64),
                Value::from((i % 2) as u32),
                Value::from(start),
                Value::from(end),
            ]);
        }
        let row = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        let sql = format!(
            "INSERT INTO ide_sessions (session_id, site_id, visitor_hash, browser, os, device, start_time, \
             last_activity, end_time, duration_seconds, active_seconds, programs_run, lines_executed, \
             errors_encountered, first_seen_at, last_seen_at) VALUES {}",
            vec![row; n].join(",")
        );
        tx.exec_drop(sql, params).await?;
        done += n;
    }
    tx.commit().await?;
    drop(conn);
    pool.disconnect().await?;
    Ok(started.elapsed())
}

/// Runs `usage-aggregator rollup --from --to` over [`days`]; returns its wall time and output.
pub fn run(url: &str) -> anyhow::Result<(Duration, String)> {
    let (from, to) = days();
    let started = Instant::now();
    let output = Command::new(crate::procs::sibling("usage-aggregator")?)
        .args([
            "rollup",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
        ])
        .env("USAGE_DATABASE_URL", url)
        .env("USAGE_LOG", "warn")
        .output()?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "rollup failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((
        elapsed,
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
    ))
}

/// Checks the rollup counted every seeded session.
pub async fn summarized_sessions(url: &str) -> anyhow::Result<u64> {
    let pool = Pool::new(url);
    let n: Option<u64> = pool
        .get_conn()
        .await?
        .query_first(
            "SELECT CAST(COALESCE(SUM(ide_sessions), 0) AS UNSIGNED) FROM daily_usage_summary",
        )
        .await?;
    pool.disconnect().await?;
    Ok(n.unwrap_or(0))
}

//! The daily rollup over 1,000,000 sessions: seeded with multi-row INSERTs over ten days, then
//! the real `usage-aggregator rollup --from --to` timed as a child process, and the periodic
//! run (`usage-aggregator rollup`, what `serve` runs every interval) timed with nothing changed
//! and after a few sessions of one day changed.

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
    let (from, _) = days();
    let midnight = from.and_hms_opt(0, 0, 0).expect("midnight exists");
    seed_span(url, 0..sessions, midnight, DAYS as usize * 86_400).await
}

/// Inserts the sessions numbered `ids` (their ids and hashes derive from the number) spread over
/// `span_secs` from `from`; returns how long it took.
pub async fn seed_span(
    url: &str,
    ids: std::ops::Range<usize>,
    from: chrono::NaiveDateTime,
    span_secs: usize,
) -> anyhow::Result<Duration> {
    let pool = Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let midnight = from;
    let (first, sessions) = (ids.start, ids.end);
    let count = sessions - first;
    let started = Instant::now();
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let browsers = ["Firefox", "Chrome", "Safari", "Edge"];
    let oses = ["Linux", "Windows", "Mac OSX", "Android"];
    let mut done = first;
    while done < sessions {
        let n = (sessions - done).min(CHUNK);
        let mut params = Vec::with_capacity(n * 17);
        for i in done..done + n {
            let offset = (i - first) * span_secs / count;
            let start = midnight + chrono::Duration::seconds(offset as i64);
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
                Value::from(end.and_utc().timestamp().div_euclid(60)),
            ]);
        }
        let row = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
        let sql = format!(
            "INSERT INTO ide_sessions (session_id, site_id, visitor_hash, browser, os, device, start_time, \
             last_activity, end_time, duration_seconds, active_seconds, programs_run, lines_executed, \
             errors_encountered, first_seen_at, last_seen_at, last_seen_minute) VALUES {}",
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

/// What a seeded session did besides its session row (the bench figures' own mixes).
pub struct Did {
    /// Its one program run's error message: `None` for a run that succeeded.
    pub failed: Option<String>,
    /// Its feature events: name and data (a JSON text or none).
    pub features: Vec<(String, Option<String>)>,
}

/// Inserts in one transaction, per session of `starts` (id, start; the `k`-th), one program run
/// at its start (its lines, run time and lines executed varying with `k`) and the events
/// `did(k)` names: the seeding figures j and k share.
pub async fn seed_events(
    pool: &Pool,
    starts: &[(String, chrono::NaiveDateTime)],
    did: impl Fn(usize) -> Did,
) -> anyhow::Result<()> {
    let mut conn = pool.get_conn().await?;
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let rows = |n, row: &str| vec![row; n].join(",");
    for (n, chunk) in starts.chunks(CHUNK).enumerate() {
        let mut runs = Vec::with_capacity(chunk.len() * 7);
        let mut features = Vec::with_capacity(chunk.len() * 8);
        for (i, (session, start)) in chunk.iter().enumerate() {
            let k = n * CHUNK + i;
            let Did {
                failed,
                features: used,
            } = did(k);
            runs.extend([
                Value::from(session.as_str()),
                Value::from(*start),
                Value::from(10 + (k % 90) as u32),
                Value::from((k % 700) as u32),
                Value::from(40 + (k % 400) as u32),
                Value::from(failed.is_none()),
                Value::from(failed),
            ]);
            for (name, data) in used {
                features.extend([
                    Value::from(session.as_str()),
                    Value::from(*start),
                    Value::from(name),
                    Value::from(data),
                ]);
            }
        }
        tx.exec_drop(
            format!(
                "INSERT INTO program_executions (session_id, timestamp, program_lines, \
                 execution_time_ms, lines_executed, success, error_message) VALUES {}",
                rows(chunk.len(), "(?,?,?,?,?,?,?)")
            ),
            runs,
        )
        .await?;
        if !features.is_empty() {
            tx.exec_drop(
                format!(
                    "INSERT INTO feature_usage (session_id, timestamp, feature_name, \
                     feature_data) VALUES {}",
                    rows(features.len() / 4, "(?,?,?,?)")
                ),
                features,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Runs `usage-aggregator rollup --from --to` over [`days`]; returns its wall time and output.
pub fn run(url: &str) -> anyhow::Result<(Duration, String)> {
    let (from, to) = days();
    rollup(url, &["--from", &from.to_string(), "--to", &to.to_string()])
}

/// Runs the periodic rollup, `usage-aggregator rollup` without a range; returns its wall time
/// and output.
pub fn run_due(url: &str) -> anyhow::Result<(Duration, String)> {
    rollup(url, &[])
}

pub fn rollup(url: &str, range: &[&str]) -> anyhow::Result<(Duration, String)> {
    let started = Instant::now();
    let output = Command::new(crate::procs::sibling("usage-aggregator")?)
        .arg("rollup")
        .args(range)
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

/// Gives `n` sessions of `day` one more program run, seen now, as a batch of theirs would:
/// `last_seen_at` and its minute (`domain::session::minute_of`) move to the present.
pub async fn touch(url: &str, day: NaiveDate, n: u32) -> anyhow::Result<u64> {
    let pool = Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let start = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    conn.exec_drop(
        "UPDATE ide_sessions SET programs_run = programs_run + 1, last_seen_at = UTC_TIMESTAMP(3), \
         last_seen_minute = TIMESTAMPDIFF(MINUTE, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) \
         WHERE start_time >= ? AND start_time < ? LIMIT ?",
        (start, start + chrono::Duration::days(1), n),
    )
    .await?;
    let touched = conn.affected_rows();
    drop(conn);
    pool.disconnect().await?;
    Ok(touched)
}

/// The programs run that `day`'s stored summary counts.
pub async fn summarized_runs(url: &str, day: NaiveDate) -> anyhow::Result<u64> {
    let pool = Pool::new(url);
    let n: Option<u64> = pool
        .get_conn()
        .await?
        .exec_first(
            "SELECT CAST(programs_run AS UNSIGNED) FROM daily_usage_summary WHERE date = ?",
            (day,),
        )
        .await?;
    pool.disconnect().await?;
    Ok(n.unwrap_or(0))
}

/// Figure f: the full rollup of `sessions` seeded sessions, then the periodic run: once to set
/// the watermark (the first run ever rolls up every kept day), once with nothing changed, once
/// after [`TOUCHED`] sessions of one day changed.
pub async fn figure(url: &str, sessions: usize) -> anyhow::Result<()> {
    const TOUCHED: u32 = 1000;
    let seeded = seed(url, sessions).await?;
    let (took, said) = run(url)?;
    let counted = summarized_sessions(url).await?;
    println!(
        "f. rollup of {sessions} sessions over {DAYS} days: {:.2} s (target < 5 s); {counted} sessions summarized; \
         seeding took {:.1} s; it said: {said}",
        took.as_secs_f64(),
        seeded.as_secs_f64()
    );
    let (first, first_said) = run_due(url)?;
    let (idle, idle_said) = run_due(url)?;
    let day = days().0 + Days::new(DAYS / 2);
    let runs_before = summarized_runs(url, day).await?;
    let touched = touch(url, day, TOUCHED).await?;
    let (changed, changed_said) = run_due(url)?;
    let runs_after = summarized_runs(url, day).await?;
    println!(
        "   periodic rollup (`usage-aggregator rollup`): nothing changed {:.2} s ({idle_said}); \
         {touched} sessions of {day} changed {:.2} s ({changed_said}; that day's runs {runs_before} -> {runs_after}, {}); \
         first run ever, no watermark yet {:.2} s ({first_said})",
        idle.as_secs_f64(),
        changed.as_secs_f64(),
        if runs_after == runs_before + touched {
            "all counted"
        } else {
            "NOT ALL COUNTED"
        },
        first.as_secs_f64(),
    );
    Ok(())
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

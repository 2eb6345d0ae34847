//! k: a year of summaries (issue 23). One day of [`SESSIONS`] sessions with the cardinality of a
//! busy site (4 browsers × 4 systems × 2 devices, [`ERRORS`] error groups, [`FEATURES`] feature
//! names, [`TEXTS`] data texts of one feature) is seeded as raw rows and rolled up by the real
//! `usage-aggregator rollup --from --to`; its summary rows are then copied to the 364 days before
//! it (table by table, doubling), as a year of served days would have left them. Then `serve`
//! answers every stats route over the 365 days, one request at a time: p99 per route, and the
//! summary tables' bytes per stored day (InnoDB's data and index length after `ANALYZE TABLE`).

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::Pool;

use crate::http::Conn;
use crate::mariadb::ThrowawayMariaDb;
use crate::{procs, rollup, stats_routes};

const SESSIONS: usize = 20_000;
const ERRORS: usize = 80;
const FEATURES: usize = 30;
const TEXTS: usize = 400;
const YEAR: u64 = 365;
const TOKEN: &str = "bench-admin-token-0123456789";

/// `i` in letters only: the error grouping turns digits into `#`, letters keep groups apart.
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

pub async fn figure(db: &ThrowawayMariaDb) -> anyhow::Result<()> {
    db.create_database("year").await?;
    let url = db.url("year");
    crate::migrate(&url)?;
    let last = Utc::now().date_naive() - Days::new(1);
    let first = last - Days::new(YEAR - 1);
    let started = Instant::now();
    let midnight = last.and_hms_opt(0, 0, 0).expect("midnight exists");
    rollup::seed_span(&url, 0..SESSIONS, midnight, 86_000).await?;
    let pool = Pool::new(url.as_str());
    seed_events(&pool).await?;
    let (took, said) = rollup::rollup(
        &url,
        &["--from", &last.to_string(), "--to", &last.to_string()],
    )?;
    let tables: Vec<String> = pool
        .get_conn()
        .await?
        .query(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME LIKE 'daily%' ORDER BY 1",
        )
        .await?;
    for table in &tables {
        copy_back(&pool, table, last).await?;
    }
    let mut conn = pool.get_conn().await?;
    conn.query_drop(
        "INSERT INTO rollup_state (id, seen_until) VALUES (1, UTC_TIMESTAMP()) \
         ON DUPLICATE KEY UPDATE seen_until = VALUES(seen_until)",
    )
    .await?;
    let mut rows = 0u64;
    for table in &tables {
        conn.query_drop(format!("ANALYZE TABLE {table}")).await?;
        let n: Option<u64> = conn
            .query_first(format!("SELECT COUNT(*) FROM {table}"))
            .await?;
        rows += n.unwrap_or(0);
    }
    let bytes: Option<u64> = conn
        .query_first(
            "SELECT CAST(SUM(DATA_LENGTH + INDEX_LENGTH) AS UNSIGNED) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'daily%'",
        )
        .await?;
    drop(conn);
    pool.disconnect().await?;
    println!(
        "   k seeded and rolled up one day of {SESSIONS} sessions (rollup {:.2} s: {said}), copied \
         to {YEAR} days in {:.1} s in all: {rows} summary rows in {} tables",
        took.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        tables.len()
    );
    // BENCH_AGG_LOG: the aggregator's USAGE_LOG (`usage_aggregator=debug` prints each report
    // read's span with its busy and idle time), a diagnostic like BENCH_PROFILE.
    let log = std::env::var("BENCH_AGG_LOG").unwrap_or_else(|_| "warn".into());
    let env = [("USAGE_ADMIN_TOKEN", TOKEN), ("USAGE_LOG", log.as_str())];
    let agg = procs::aggregator_with(&url, &env).await?;
    let mut http = Conn::connect(agg.addr).await?;
    let range = format!("from={first}&to={last}");
    let routes: Vec<(String, String)> = [
        ("daily", "daily?"),
        ("daily site", "daily?site=ide&"),
        ("features", "features?"),
        ("programs", "programs?"),
        ("clients", "clients?"),
        ("errors", "errors?"),
        ("feature data", "features/debugger?"),
        ("sessions", "sessions?"),
        ("live", "live?"),
        ("journey", "journey?"),
        ("funnel", "funnel?"),
        ("time", "time?"),
    ]
    .into_iter()
    .map(|(name, path)| (name.to_string(), format!("/api/v1/stats/{path}{range}")))
    .chain([
        // The year against the year before it (issue 25's `compare=previous`).
        (
            "daily compare".to_string(),
            format!("/api/v1/stats/daily?compare=previous&{range}"),
        ),
        // The hourly series answers at most 7 days: the year's last week.
        (
            "hourly".to_string(),
            format!(
                "/api/v1/stats/hourly?from={}&to={last}",
                last - Days::new(6)
            ),
        ),
    ])
    .collect();
    db.print_profile("year").await?;
    let parts = stats_routes::measure(&mut http, &routes, 100, Duration::ZERO).await?;
    db.print_profile("year").await?;
    agg.stop();
    let bytes = bytes.unwrap_or(0);
    println!(
        "k. a year of summaries ({YEAR} days, {} rows a day, {:.1} KB stored a day, {:.1} MB in \
         all), one request at a time over the year: {}",
        rows / YEAR,
        bytes as f64 / YEAR as f64 / 1024.0,
        bytes as f64 / 1024.0 / 1024.0,
        parts.join(", ")
    );
    // BENCH_HOLD_SECS: keeps the year's database that long for probing it by hand (EXPLAIN).
    if let Ok(secs) = std::env::var("BENCH_HOLD_SECS") {
        println!("   k holds {url} for {secs} s");
        tokio::time::sleep(Duration::from_secs(secs.parse()?)).await;
    }
    Ok(())
}

/// Copies `table`'s rows of `last` to the [`YEAR`] − 1 days before it: the days held so far,
/// shifted back by their count, until a year is held; then what lies before the year goes. Its
/// times (an error group's `last_seen`) move with their day, as served days would have left
/// them: copies that kept one time made every day of a group its latest, so that the errors
/// route found 365 rows where a year has one (bench k read 45-58 ms p99 on them).
async fn copy_back(pool: &Pool, table: &str, last: NaiveDate) -> anyhow::Result<()> {
    let mut conn = pool.get_conn().await?;
    let times: Vec<String> = conn
        .exec(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = ? AND DATA_TYPE IN ('datetime', 'timestamp')",
            (table,),
        )
        .await?;
    let shifted: String = times
        .iter()
        .map(|c| format!(", {c} = DATE_SUB({c}, INTERVAL ? DAY)"))
        .collect();
    let mut held = 1u64;
    while held < YEAR {
        let since = last - Days::new(held - 1);
        conn.exec_drop(
            format!("CREATE TEMPORARY TABLE copy_back AS SELECT * FROM {table} WHERE date >= ?"),
            (since,),
        )
        .await?;
        conn.exec_drop(
            format!("UPDATE copy_back SET date = DATE_SUB(date, INTERVAL ? DAY){shifted}"),
            vec![held; 1 + times.len()],
        )
        .await?;
        conn.query_drop(format!("INSERT INTO {table} SELECT * FROM copy_back"))
            .await?;
        conn.query_drop("DROP TEMPORARY TABLE copy_back").await?;
        held *= 2;
    }
    let first = last - Days::new(YEAR - 1);
    conn.exec_drop(format!("DELETE FROM {table} WHERE date < ?"), (first,))
        .await?;
    Ok(())
}

/// Per session: one program run (one in four failed, with one of [`ERRORS`] messages on
/// varying lines) and two feature events (of [`FEATURES`] names; `debugger` with one of
/// [`TEXTS`] data texts).
async fn seed_events(pool: &Pool) -> anyhow::Result<()> {
    let mut conn = pool.get_conn().await?;
    let starts: Vec<(String, chrono::NaiveDateTime)> = conn
        .query("SELECT session_id, start_time FROM ide_sessions")
        .await?;
    rollup::seed_events(pool, &starts, |k| rollup::Did {
        failed: k
            .is_multiple_of(4)
            .then(|| format!("?{} ERROR IN {}", word(k % ERRORS).to_uppercase(), k % 90)),
        features: vec![
            (
                "debugger".into(),
                Some(format!(
                    r#"{{"source": "{}", "step": {}}}"#,
                    word(k % TEXTS),
                    k % 3
                )),
            ),
            (format!("f_{}", word(k % FEATURES)), None),
        ],
    })
    .await?;
    Ok(())
}

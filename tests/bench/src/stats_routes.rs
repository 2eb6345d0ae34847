//! j: the stats API over the rollup's 1,000,000 sessions (figure f's database; seeded here when
//! f did not run): one program run and one feature event for every fourth session, then
//! `serve`'s rollup at start, then every stats route hit one request at a time with a real token
//! against the release aggregator; p50, p99 and max of each. Then the same with a live day of
//! 100,000 sessions today, kept current by `serve`'s summary refresh ([`today`]).

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use mysql_async::prelude::Queryable;
use mysql_async::Pool;

use crate::http::Conn;
use crate::mariadb::ThrowawayMariaDb;
use crate::{procs, rollup};

const SESSIONS: usize = 1_000_000;
const TOKEN: &str = "bench-admin-token-0123456789";
/// Requests per route, and a bound on each route's measuring time.
const REQUESTS: usize = 100;
const ROUTE_BUDGET: Duration = Duration::from_secs(30);

/// The routes as the dashboard asks them (its default range: the 30 days ending today, which
/// holds the seeded ten).
const ROUTES: &[(&str, &str)] = &[
    ("daily", "/api/v1/stats/daily"),
    ("daily site", "/api/v1/stats/daily?site=ide"),
    // Today's hours by default (the hourly series answers at most 7 days).
    ("hourly", "/api/v1/stats/hourly"),
    ("time", "/api/v1/stats/time"),
    ("sessions", "/api/v1/stats/sessions"),
    ("features", "/api/v1/stats/features"),
    ("programs", "/api/v1/stats/programs"),
    ("clients", "/api/v1/stats/clients"),
    ("live", "/api/v1/stats/live"),
    ("errors", "/api/v1/stats/errors"),
    ("feature data", "/api/v1/stats/features/debugger"),
    ("journey", "/api/v1/stats/journey"),
    ("funnel", "/api/v1/stats/funnel"),
];

pub async fn figure(db: &ThrowawayMariaDb) -> anyhow::Result<()> {
    let url = db.url("rollup");
    let pool = Pool::new(url.as_str());
    let sessions: u64 = scalar(&pool, "SELECT COUNT(*) FROM ide_sessions").await?;
    if sessions == 0 {
        let took = rollup::seed(&url, SESSIONS).await?;
        println!(
            "   j seeded {SESSIONS} sessions in {:.1} s",
            took.as_secs_f64()
        );
    }
    let runs: u64 = scalar(&pool, "SELECT COUNT(*) FROM program_executions").await?;
    if runs == 0 {
        let took = seed_events(&pool, None).await?;
        println!(
            "   j seeded {} program runs and as many feature events in {:.1} s",
            SESSIONS / 4,
            took.as_secs_f64()
        );
    }
    // `serve` rolls up at start (every kept day, the first time) and sets the rollup mark: the
    // state of a served deployment. Measured once it is done.
    pool.get_conn()
        .await?
        .query_drop("DELETE FROM rollup_state")
        .await?;
    let agg = procs::aggregator_with(&url, &[("USAGE_ADMIN_TOKEN", TOKEN)]).await?;
    let waited = Instant::now();
    while scalar(&pool, "SELECT COUNT(*) FROM rollup_state").await? == 0 {
        anyhow::ensure!(
            waited.elapsed() < Duration::from_secs(300),
            "no rollup at start"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "   j serve's rollup at start took {:.1} s",
        waited.elapsed().as_secs_f64()
    );
    let mut conn = Conn::connect(agg.addr).await?;
    let routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(name, path)| (name.to_string(), path.to_string()))
        .collect();
    let parts = measure(&mut conn, &routes, REQUESTS, Duration::ZERO).await?;
    println!(
        "j. stats routes over {SESSIONS} sessions ({} days, rolled up), one request at a time: {}",
        rollup::DAYS,
        parts.join(", ")
    );
    today(&url, &pool, &mut conn, &routes).await?;
    pool.disconnect().await?;
    agg.stop();
    Ok(())
}

/// Sessions of today's live day.
const TODAY: usize = 100_000;

/// How long the today part measures: `serve`'s refreshes run every 60 s by default, as in
/// production here, but the first one after its rollup at start waits 4 times that rollup's
/// duration (`jobs::next_refresh_in`: 35.7 s × 4 in a run of 2026-12-06), so the measurement
/// spans 240 s to meet at least one refresh in progress.
const TODAY_MEASURE: Duration = Duration::from_secs(240);

/// The second part of j: a day of [`TODAY`] sessions today (with runs and feature events for a
/// quarter of them), never rolled up by a full rollup, kept live by a batch every 2 s touching
/// 100 of its sessions, while `serve` refreshes the touched days every `summary_refresh_secs`
/// (default 60 s) as in production. The routes read the summaries only: p99 per route over
/// [`TODAY_MEASURE`] of rounds, and the duration of one refresh pass over the day.
async fn today(
    url: &str,
    pool: &Pool,
    conn: &mut Conn,
    routes: &[(String, String)],
) -> anyhow::Result<()> {
    let now = chrono::Utc::now().naive_utc();
    let midnight = now.date().and_hms_opt(0, 0, 0).expect("midnight exists");
    let span = ((now - midnight).num_seconds() as usize)
        .saturating_sub(60)
        .max(60);
    let ids = SESSIONS..SESSIONS + TODAY;
    let seeded = rollup::seed_span(url, ids, midnight, span).await?;
    let events = seed_events(pool, Some(midnight)).await?;
    rollup::touch(url, now.date(), 1000).await?;
    // One refresh pass over the day, timed: `usage-aggregator rollup` without a range runs the
    // refresh's code (`rollup_due`), here beside `serve`'s own.
    let (pass, said) = rollup::run_due(url)?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let toucher = tokio::spawn(keep_touching(url.to_string(), now.date(), stop.clone()));
    let marks = tokio::spawn(count_marks(url.to_string(), stop.clone()));
    let parts = measure(conn, routes, REQUESTS, TODAY_MEASURE).await?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    toucher.await??;
    let refreshes = marks.await??;
    let today_sessions: u64 = scalar(
        pool,
        "SELECT CAST(COALESCE(MAX(ide_sessions), 0) AS UNSIGNED) FROM daily_usage_summary \
         WHERE date = UTC_DATE()",
    )
    .await?;
    println!(
        "   j today: seeded {TODAY} sessions in {:.1} s and their events in {:.1} s; one refresh \
         pass over the day {:.2} s ({said}); {refreshes} refreshes by serve while measuring; \
         today's summary holds {today_sessions} sessions",
        seeded.as_secs_f64(),
        events.as_secs_f64(),
        pass.as_secs_f64()
    );
    println!(
        "j. today: stats routes with a live day of {TODAY} sessions (not rolled up by a full \
         rollup; serve refreshing every 60 s), one request at a time, {} s: {}",
        TODAY_MEASURE.as_secs(),
        parts.join(", ")
    );
    Ok(())
}

/// A batch every 2 s to 100 sessions of `day`, as live pages would send, until `stop`.
async fn keep_touching(
    url: String,
    day: chrono::NaiveDate,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<()> {
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        rollup::touch(&url, day, 100).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    Ok(())
}

/// How many times the rollup mark (`summaries_as_of`) moved until `stop`: refresh passes.
async fn count_marks(
    url: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<u64> {
    let pool = Pool::new(url.as_str());
    let shared = &pool;
    let mark = move || async move {
        let pool = shared;
        let at: Option<NaiveDateTime> = pool
            .get_conn()
            .await?
            .query_first("SELECT seen_until FROM rollup_state WHERE id = 1")
            .await?;
        anyhow::Ok(at)
    };
    let (mut last, mut moved) = (mark().await?, 0);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = mark().await?;
        if now != last {
            moved += 1;
            last = now;
        }
    }
    pool.disconnect().await?;
    Ok(moved)
}

/// GETs every route in turn (one warm-up each first), round after round, until each has `n`
/// answers and `at_least` has passed (or [`ROUTE_BUDGET`] per route): per route "name p99 (p50,
/// max, n)".
pub async fn measure(
    conn: &mut Conn,
    routes: &[(String, String)],
    n: usize,
    at_least: Duration,
) -> anyhow::Result<Vec<String>> {
    for (_, path) in routes {
        let status = conn.get(path, TOKEN).await?;
        anyhow::ensure!(status == 200, "{path} answered {status}");
    }
    let budget = (ROUTE_BUDGET * routes.len() as u32).max(at_least);
    let started = Instant::now();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); routes.len()];
    while (times[0].len() < n || started.elapsed() < at_least) && started.elapsed() < budget {
        for ((_, path), times) in routes.iter().zip(&mut times) {
            let sent = Instant::now();
            let status = conn.get(path, TOKEN).await?;
            anyhow::ensure!(status == 200, "{path} answered {status}");
            times.push(sent.elapsed());
        }
    }
    Ok(routes
        .iter()
        .zip(&mut times)
        .map(|((name, _), times)| {
            times.sort();
            let at = |q: f64| {
                times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1]
            };
            format!(
                "{name} p99 {:.1} ms (p50 {:.1}, max {:.1}, n {})",
                ms(at(0.99)),
                ms(at(0.50)),
                ms(times[times.len() - 1]),
                times.len()
            )
        })
        .collect())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn scalar(pool: &Pool, sql: &str) -> anyhow::Result<u64> {
    let n: Option<u64> = pool.get_conn().await?.query_first(sql).await?;
    Ok(n.unwrap_or(0))
}

/// For every fourth seeded session (of those started from `since` on, or all): a program run
/// (one in five failed, with one of a few messages on varying lines) and a `debugger` feature
/// event with data, at its start.
async fn seed_events(pool: &Pool, since: Option<NaiveDateTime>) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = pool.get_conn().await?;
    let since = since.unwrap_or_default();
    let starts: Vec<(String, NaiveDateTime)> = conn
        .exec(
            "SELECT session_id, start_time FROM ide_sessions \
             WHERE MOD(CONV(RIGHT(session_id, 4), 16, 10), 4) = 0 AND start_time >= ?",
            (since,),
        )
        .await?;
    let messages = [
        "?SYNTAX ERROR IN ",
        "?OUT OF DATA IN ",
        "?DIVISION BY ZERO IN ",
    ];
    let sources = ["toolbar", "keyboard", "menu"];
    rollup::seed_events(pool, &starts, |k| rollup::Did {
        failed: k
            .is_multiple_of(5)
            .then(|| format!("{}{}", messages[k % 3], 10 * (k % 50))),
        features: vec![(
            "debugger".into(),
            Some(format!(
                r#"{{"source": "{}", "breakpoints": {}}}"#,
                sources[k % 3],
                k % 4
            )),
        )],
    })
    .await?;
    Ok(started.elapsed())
}

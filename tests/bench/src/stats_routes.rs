//! j: the stats API over the rollup's 1,000,000 sessions (figure f's database; seeded here when
//! f did not run): one program run and one feature event for every fourth session, then
//! `serve`'s rollup at start, then every stats route hit one request at a time with a real token
//! against the release aggregator; p50, p99 and max of each.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use mysql_async::prelude::Queryable;
use mysql_async::{Pool, TxOpts, Value};

use crate::http::Conn;
use crate::mariadb::ThrowawayMariaDb;
use crate::{procs, rollup};

const SESSIONS: usize = 1_000_000;
const TOKEN: &str = "bench-admin-token-0123456789";
/// Requests per route, and a bound on each route's measuring time.
const REQUESTS: usize = 100;
const ROUTE_BUDGET: Duration = Duration::from_secs(30);
const CHUNK: usize = 1000;

/// The routes as the dashboard asks them (its default range: the 30 days ending today, which
/// holds the seeded ten).
const ROUTES: &[(&str, &str)] = &[
    ("daily", "/api/v1/stats/daily"),
    ("daily site", "/api/v1/stats/daily?site=ide"),
    ("sessions", "/api/v1/stats/sessions"),
    ("features", "/api/v1/stats/features"),
    ("programs", "/api/v1/stats/programs"),
    ("clients", "/api/v1/stats/clients"),
    ("live", "/api/v1/stats/live"),
    ("errors", "/api/v1/stats/errors"),
    ("feature data", "/api/v1/stats/features/debugger"),
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
        let took = seed_events(&pool).await?;
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
    pool.disconnect().await?;
    let mut conn = Conn::connect(agg.addr).await?;
    let mut parts = Vec::new();
    for (name, path) in ROUTES {
        let status = conn.get(path, TOKEN).await?;
        anyhow::ensure!(status == 200, "{path} answered {status}");
        let started = Instant::now();
        let mut times = Vec::with_capacity(REQUESTS);
        while times.len() < REQUESTS && started.elapsed() < ROUTE_BUDGET {
            let sent = Instant::now();
            let status = conn.get(path, TOKEN).await?;
            anyhow::ensure!(status == 200, "{path} answered {status}");
            times.push(sent.elapsed());
        }
        times.sort();
        let at =
            |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
        parts.push(format!(
            "{name} p99 {:.1} ms (p50 {:.1}, max {:.1}, n {})",
            ms(at(0.99)),
            ms(at(0.50)),
            ms(times[times.len() - 1]),
            times.len()
        ));
    }
    agg.stop();
    println!(
        "j. stats routes over {SESSIONS} sessions ({} days, rolled up), one request at a time: {}",
        rollup::DAYS,
        parts.join(", ")
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn scalar(pool: &Pool, sql: &str) -> anyhow::Result<u64> {
    let n: Option<u64> = pool.get_conn().await?.query_first(sql).await?;
    Ok(n.unwrap_or(0))
}

/// For every fourth seeded session: a program run (one in five failed, with one of a few
/// messages on varying lines) and a `debugger` feature event with data, at its start.
async fn seed_events(pool: &Pool) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = pool.get_conn().await?;
    let starts: Vec<(String, NaiveDateTime)> = conn
        .query("SELECT session_id, start_time FROM ide_sessions WHERE MOD(CONV(RIGHT(session_id, 4), 16, 10), 4) = 0")
        .await?;
    let messages = [
        "?SYNTAX ERROR IN ",
        "?OUT OF DATA IN ",
        "?DIVISION BY ZERO IN ",
    ];
    let sources = ["toolbar", "keyboard", "menu"];
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    for (n, chunk) in starts.chunks(CHUNK).enumerate() {
        let mut runs = Vec::with_capacity(chunk.len() * 7);
        let mut features = Vec::with_capacity(chunk.len() * 4);
        for (i, (session, start)) in chunk.iter().enumerate() {
            let k = n * CHUNK + i;
            let failed = k.is_multiple_of(5);
            let message = failed.then(|| format!("{}{}", messages[k % 3], 10 * (k % 50)));
            runs.extend([
                Value::from(session.as_str()),
                Value::from(*start),
                Value::from(10 + (k % 90) as u32),
                Value::from((k % 700) as u32),
                Value::from(40 + (k % 400) as u32),
                Value::from(!failed),
                Value::from(message),
            ]);
            features.extend([
                Value::from(session.as_str()),
                Value::from(*start),
                Value::from("debugger"),
                Value::from(format!(
                    r#"{{"source": "{}", "breakpoints": {}}}"#,
                    sources[k % 3],
                    k % 4
                )),
            ]);
        }
        let rows = |n, row: &str| vec![row; n].join(",");
        tx.exec_drop(
            format!(
                "INSERT INTO program_executions (session_id, timestamp, program_lines, \
                 execution_time_ms, lines_executed, success, error_message) VALUES {}",
                rows(chunk.len(), "(?,?,?,?,?,?,?)")
            ),
            runs,
        )
        .await?;
        tx.exec_drop(
            format!(
                "INSERT INTO feature_usage (session_id, timestamp, feature_name, feature_data) \
                 VALUES {}",
                rows(chunk.len(), "(?,?,?,?)")
            ),
            features,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(started.elapsed())
}

//! What the dashboard tests share: two weeks of seeded usage, the rollup over it, signing in
//! with the admin token and waiting for the page.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use mysql_async::prelude::Queryable;
use usage_aggregator::clock::SystemClock;
use usage_aggregator::domain::report::dates::DateRange;
use usage_aggregator::report::{ReportSettings, Reports};
use usage_aggregator::store::Store;

use crate::browser::Browser;
use crate::stack::TestDb;

pub const TOKEN: &str = "dashboard-e2e-token-0123456789";
pub const DAYS: u32 = 14;
const BROWSERS: [(&str, &str, &str); 4] = [
    ("Chrome", "Windows 10", "desktop"),
    ("Firefox", "Linux", "desktop"),
    ("Safari", "iPhone", "mobile"),
    ("Edge", "Windows 10", "desktop"),
];
const FEATURES: [&str; 5] = ["debugger", "save", "load", "share", "renumber"];

/// Two weeks of sessions (one to five a day, some over several visits), with runs and features.
/// Returns the number of sessions.
pub async fn seed(db: &TestDb) -> u64 {
    let (mut sessions, mut runs, mut features) = (Vec::new(), Vec::new(), Vec::new());
    for day in 0..DAYS {
        let count = 1 + (day * 7 + 3) % 5;
        for i in 0..count {
            let id = format!("s{day:02}{i:02}");
            let start = format!(
                "UTC_DATE() - INTERVAL {day} DAY + INTERVAL {} MINUTE",
                60 + 97 * i
            );
            let seconds = 90 + 53 * i + 11 * day;
            let programs = (i + day) % 4;
            let errors = u32::from(programs == 3);
            let (browser, os, device) = BROWSERS[((i + day) % 4) as usize];
            sessions.push(format!(
                "('{id}', {start}, {start} + INTERVAL {seconds} SECOND, {start} + INTERVAL {seconds} SECOND, {seconds}, \
                 {active}, 'v{day}-{visitor}', '{browser}', '{os}', '{device}', {programs}, {lines}, {errors}, {start}, 'ide')",
                active = seconds * 2 / 3,
                visitor = i % 3,
                lines = programs * 40,
            ));
            for r in 0..programs {
                let ok = !(errors == 1 && r == 0);
                runs.push(format!(
                    "('{id}', {start} + INTERVAL {r} MINUTE, 12, {ms}, 40, {ok})",
                    ms = 3 + 17 * r + day
                ));
            }
            for f in 0..(i % 3 + 1) {
                let name = FEATURES[((f + day) % 5) as usize];
                let source = ["toolbar", "menu", "keyboard"][((f + i) % 3) as usize];
                features.push(format!(
                    "('{id}', {start} + INTERVAL {f} MINUTE, '{name}', '{{\"source\": \"{source}\"}}')"
                ));
            }
        }
    }
    let mut conn = db.pool().get_conn().await.unwrap();
    conn.query_drop(format!(
        "INSERT INTO ide_sessions (session_id, start_time, last_activity, end_time, duration_seconds, active_seconds, \
         visitor_hash, browser, os, device, programs_run, lines_executed, errors_encountered, last_seen_at, site_id) VALUES {}",
        sessions.join(",")
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO program_executions (session_id, timestamp, program_lines, execution_time_ms, lines_executed, success) VALUES {}",
        runs.join(",")
    ))
    .await
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO feature_usage (session_id, timestamp, feature_name, feature_data) VALUES {}",
        features.join(",")
    ))
    .await
    .unwrap();
    sessions.len() as u64
}

pub async fn roll_up(db: &TestDb) {
    let reports = Reports {
        store: Store::connect(Some(&db.url())).await.unwrap(),
        clock: std::sync::Arc::new(SystemClock),
        settings: ReportSettings {
            rollup_window_days: 3,
            retention_days: 395,
            summary_text_retention_days: 750,
            zone: Default::default(),
            site_zones: Default::default(),
        },
        funnel: Default::default(),
        site_zones_checked: Default::default(),
    };
    let range = DateRange::ending(reports.today(), 30);
    let outcome = reports.rollup_days(range.days()).await.unwrap();
    assert_eq!(outcome.rolled_up.len(), DAYS as usize);
    reports.store.disconnect().await;
}

/// Polls a JavaScript expression until it is true.
pub async fn wait_until(browser: &Browser, what: &str, condition: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let script = format!("return Boolean({condition})");
    while browser.eval(&script).await != true {
        let state = browser
            .eval("return document.body.dataset.state + ': ' + document.getElementById('status').textContent")
            .await;
        assert!(
            Instant::now() < deadline,
            "gave up waiting for {what} (page {state})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_for_state(browser: &Browser, wanted: &str) {
    let condition = format!("document.body.dataset.state === '{wanted}'");
    wait_until(browser, wanted, &condition).await;
}

pub async fn sign_in(browser: &Browser, token: &str) {
    let field = browser.client.find(Locator::Id("token")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(token).await.unwrap();
    browser
        .client
        .find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

//! The periodic rollup recomputes what changed since its last run and nothing else: no day on an
//! idle system, exactly the day of a touched session, the days of the old tracker's rows within
//! the window; the idle sweep, which ends sessions without touching them, changes no figure.

use chrono::NaiveDate;

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, Visit};

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// (date, site or "*" for all sites, rolled_up_at, programs_run) of every stored summary.
async fn stamps(app: &TestApp) -> Vec<(String, String, String, u64)> {
    let mut rows = Vec::new();
    for sql in [
        "SELECT date, '*', rolled_up_at, programs_run FROM daily_usage_summary ORDER BY date",
        "SELECT date, site_id, rolled_up_at, programs_run FROM daily_site_usage ORDER BY date, site_id",
    ] {
        rows.extend(app.db.rows(sql).await.into_iter().map(mysql_async::from_row));
    }
    rows
}

/// The stamps of one day.
fn of_day(
    stamps: &[(String, String, String, u64)],
    day: u32,
) -> Vec<(String, String, String, u64)> {
    let day = date(day).to_string();
    stamps.iter().filter(|s| s.0 == day).cloned().collect()
}

/// Every figure of the day's summaries, all sites' and each site's (no timestamps).
async fn figures(app: &TestApp, day: u32) -> String {
    let mut dump = String::new();
    for table in ["daily_usage_summary", "daily_site_usage"] {
        let sql = format!(
            "SELECT unique_visitors, ide_sessions, programs_run, total_lines_executed, \
             avg_session_duration_seconds, total_duration_seconds, total_active_seconds, \
             avg_active_seconds, program_errors, feature_uses FROM {table} WHERE date = '{}'",
            date(day)
        );
        for row in app.db.rows(&sql).await {
            dump.push_str(&format!("{:?}\n", row.unwrap()));
        }
    }
    dump
}

fn visit(ip: &str, start: chrono::DateTime<chrono::Utc>) -> Visit<'_> {
    Visit {
        ip,
        start,
        seconds: 300,
        active: 100,
        runs: &[(60, 10, false)],
        features: &["debugger"],
    }
}

both_stores!(a_periodic_rollup_recomputes_only_the_days_that_changed);
async fn a_periodic_rollup_recomputes_only_the_days_that_changed(kind: StoreKind) {
    // The default window of three days: the 26th to the 28th.
    let app = TestApp::reporting(kind).await;
    app.visit(&visit("203.0.113.1", at(25, 10, 0))).await;
    let mut late = app.visit(&visit("203.0.113.2", at(26, 10, 0))).await;
    app.visit_site("docs", &visit("203.0.113.3", at(26, 11, 0)))
        .await;
    app.visit(&visit("203.0.113.1", at(27, 10, 0))).await;
    // A session of the 27th that never ends: the idle sweep will end it.
    let mut open = crate::helpers::SessionScript::new();
    app.clock.set(at(27, 15, 0));
    let first = vec![open.start(0.0), open.heartbeat(30.0, 30.0, 10.0)];
    app.store(&open.batch(30.0, first)).await;
    let reports = &app.jobs.reports;

    app.clock.set(at(28, 12, 0));
    let outcome = reports.rollup_due().await.unwrap();
    assert_eq!(
        outcome.rolled_up,
        vec![date(25), date(26), date(27)],
        "the first run rolls up every day with sessions"
    );
    let rolled_up = stamps(&app).await;
    assert_eq!(
        of_day(&rolled_up, 26).len(),
        3,
        "all sites, docs and ide: {rolled_up:?}"
    );

    // The sweep ends the open session without touching it: no day is due, and (below) the 27th's
    // figures are what a fresh rollup computes.
    app.clock.set(at(28, 12, 20));
    let swept = app.jobs.run_upkeep().await.unwrap();
    assert_eq!(swept.sessions_ended, 1);
    assert_eq!(app.db.count("ide_sessions WHERE end_time IS NULL").await, 0);
    let idle = reports.rollup_due().await.unwrap();
    assert_eq!(
        (idle.rolled_up.len(), idle.skipped.len()),
        (0, 0),
        "nothing changed: {idle:?}"
    );
    assert_eq!(stamps(&app).await, rolled_up, "no summary was rewritten");

    // One session of the 26th receives a late run: the 26th, and only it, is rolled up again.
    app.clock.set(at(28, 12, 40));
    let run = vec![late.run(200.0, 5, None)];
    app.store(&late.batch(300.0, run)).await;
    let touched = reports.rollup_due().await.unwrap();
    assert_eq!(touched.rolled_up, vec![date(26)]);
    assert!(touched.skipped.is_empty(), "{touched:?}");
    let after = stamps(&app).await;
    for day in [25, 27] {
        assert_eq!(of_day(&after, day), of_day(&rolled_up, day), "the {day}th");
    }
    let (before_26, after_26) = (of_day(&rolled_up, 26), of_day(&after, 26));
    let runs = |s: &[(String, String, String, u64)]| -> Vec<(String, u64)> {
        s.iter().map(|r| (r.1.clone(), r.3)).collect()
    };
    assert_eq!(
        runs(&before_26),
        vec![("*".into(), 2), ("docs".into(), 1), ("ide".into(), 1)]
    );
    assert_eq!(
        runs(&after_26),
        vec![("*".into(), 3), ("docs".into(), 1), ("ide".into(), 2)]
    );
    assert!(
        after_26.iter().zip(&before_26).all(|(a, b)| a.2 > b.2),
        "every summary of the 26th rewritten: {after_26:?}"
    );

    // The watermark's margin looks at that session once more; then the system is idle again.
    app.clock.set(at(28, 13, 0));
    assert_eq!(
        reports.rollup_due().await.unwrap().rolled_up,
        vec![date(26)]
    );
    // The old tracker inserting beside us (no last-seen time): its days within the window are
    // rolled up every run, those before the window are not.
    app.db
        .execute(
            "INSERT INTO ide_sessions (session_id, start_time, user_agent) \
             VALUES ('py-28', '2026-11-28 13:10:00.000', 'python'), \
             ('py-25', '2026-11-25 13:10:00.000', 'python')",
        )
        .await;
    app.clock.set(at(28, 13, 30));
    assert_eq!(
        reports.rollup_due().await.unwrap().rolled_up,
        vec![date(28)]
    );
    assert_eq!(
        reports.rollup_due().await.unwrap().rolled_up,
        vec![date(28)]
    );

    let swept_day = figures(&app, 27).await;
    reports.rollup_days([date(27)]).await.unwrap();
    assert_eq!(
        figures(&app, 27).await,
        swept_day,
        "the sweep changed nothing a rollup reads"
    );
}

//! Daily rollup and retention against real MariaDB, with hand-computed figures; the helpers that
//! seed sessions through the real ingest API (shared with `stats_api`).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use mysql_async::Row;
use serde_json::Value;

use crate::helpers::{both_stores, run_command, SessionScript, StoreKind, TestApp};

pub const TOKEN: &str = "test-admin-token-0123456789";

pub fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// What one test session does; every session ends with an `end` event at `seconds`.
pub struct Visit<'a> {
    pub ip: &'a str,
    pub start: DateTime<Utc>,
    pub seconds: u32,
    pub active: u32,
    /// (t, lines executed, failed)
    pub runs: &'a [(u32, u64, bool)],
    pub features: &'a [&'a str],
}

impl TestApp {
    pub async fn reporting(kind: StoreKind) -> TestApp {
        Self::reporting_with(kind, |_| {}).await
    }

    pub async fn reporting_with(
        kind: StoreKind,
        adjust: impl FnOnce(&mut usage_aggregator::config::Config),
    ) -> TestApp {
        TestApp::spawn_with(kind, |c| {
            c.admin_token = Some(TOKEN.into());
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            // The test runs the rollup itself, when the data it wants is in place.
            c.rollup_interval_secs = 24 * 3600;
            adjust(c);
        })
        .await
    }

    /// Two batches: the start when the visit starts, the rest when it ends (server clock moved).
    pub async fn visit(&self, visit: &Visit<'_>) -> SessionScript {
        self.visit_site("ide", visit).await
    }

    /// [`TestApp::visit`] on the page of `site`.
    pub async fn visit_site(&self, site: &str, visit: &Visit<'_>) -> SessionScript {
        let mut script = SessionScript::new();
        script.site = site.into();
        let xff = [("x-forwarded-for", visit.ip)];
        self.clock.set(visit.start);
        let first = vec![script.start(0.0)];
        let response = self.post_with(&script.batch(0.0, first), &xff).await;
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap());
        let secs = f64::from(visit.seconds);
        let mut events = Vec::new();
        for &(t, lines, failed) in visit.runs {
            events.push(script.run(f64::from(t), lines, failed.then_some("?SYNTAX ERROR")));
        }
        for name in visit.features {
            events.push(script.feature(secs / 2.0, name));
        }
        events.push(script.heartbeat(secs, secs, f64::from(visit.active)));
        events.push(script.end(secs));
        self.clock
            .set(visit.start + Duration::seconds(visit.seconds.into()));
        let response = self.post_with(&script.batch(secs, events), &xff).await;
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap());
        script
    }

    /// A stats GET of `path` with the admin token (the response as it came).
    pub async fn stats_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/api/v1/stats/{path}", self.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
    }

    /// The JSON a stats GET of `path` answers (insists on 200).
    pub async fn stats(&self, path: &str) -> Value {
        let response = self.stats_get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    /// The CSV table a stats GET of `path` answers (`format=csv` added; insists on 200).
    pub async fn stats_csv(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        let response = self
            .stats_get(&format!("{path}{separator}format=csv"))
            .await;
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    }

    /// The 422 body a stats GET of `path` answers (insists on 422).
    pub async fn stats_refused(&self, path: &str) -> Value {
        let response = self.stats_get(path).await;
        assert_eq!(response.status(), 422, "{path}");
        response.json().await.unwrap()
    }
}

/// Day 27: A twice, B once crossing midnight. Day 28: B again (a new day, a new hash).
pub async fn seed_two_days(app: &TestApp) {
    let visits = [
        Visit {
            ip: "203.0.113.1",
            start: at(27, 10, 0),
            seconds: 600,
            active: 300,
            runs: &[(100, 100, false), (200, 50, true)],
            features: &["debugger"],
        },
        Visit {
            ip: "203.0.113.1",
            start: at(27, 14, 0),
            seconds: 300,
            active: 100,
            runs: &[(60, 10, false)],
            features: &["debugger", "share"],
        },
        // Starts 23:50 on the 27th, runs a program after midnight: all of it counts for the 27th.
        Visit {
            ip: "203.0.113.2",
            start: at(27, 23, 50),
            seconds: 1800,
            active: 600,
            runs: &[(1500, 1000, false)],
            features: &[],
        },
        Visit {
            ip: "203.0.113.2",
            start: at(28, 9, 0),
            seconds: 120,
            active: 60,
            runs: &[],
            features: &[],
        },
    ];
    for visit in &visits {
        app.visit(visit).await;
    }
}

type Summary = (NaiveDate, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64);

async fn summary(app: &TestApp, day: u32) -> Option<Summary> {
    let rows = app.db.rows(&format!(
        "SELECT date, unique_visitors, ide_sessions, programs_run, total_lines_executed, avg_session_duration_seconds, \
         total_duration_seconds, total_active_seconds, avg_active_seconds, program_errors, feature_uses \
         FROM daily_usage_summary WHERE date = '{}'", date(day))).await;
    rows.into_iter()
        .next()
        .map(|row: Row| mysql_async::from_row(row))
}

/// Every row of the report tables except timestamps, for comparing reruns.
async fn report_tables(app: &TestApp) -> String {
    let mut dump = String::new();
    for sql in [
        "SELECT date, unique_visitors, ide_sessions, programs_run, total_lines_executed, avg_session_duration_seconds, \
         total_duration_seconds, total_active_seconds, avg_active_seconds, program_errors, feature_uses FROM daily_usage_summary ORDER BY date",
        "SELECT * FROM daily_feature_usage ORDER BY date, feature_name",
        "SELECT * FROM daily_client_usage ORDER BY date, dimension, value",
    ] {
        for row in app.db.rows(sql).await {
            dump.push_str(&format!("{:?}\n", row.unwrap()));
        }
    }
    dump
}

both_stores!(rollup_matches_hand_computed_figures_and_is_idempotent);
async fn rollup_matches_hand_computed_figures_and_is_idempotent(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));
    let round = app.jobs.run_once().await.unwrap();
    assert_eq!(
        round.days_rolled_up, 2,
        "27th and 28th; the 26th (in the window) has no sessions: {round:?}"
    );
    // 3 sessions, visitors A and B, 4 runs / 1160 lines / 1 error, durations 600+300+1800,
    // active 300+100+600, 3 feature uses.
    assert_eq!(
        summary(&app, 27).await,
        Some((date(27), 2, 3, 4, 1160, 900, 2700, 1000, 333, 1, 3))
    );
    assert_eq!(
        summary(&app, 28).await,
        Some((date(28), 1, 1, 0, 0, 120, 120, 60, 60, 0, 0))
    );
    assert_eq!(
        summary(&app, 26).await,
        None,
        "a day without sessions gets no row"
    );
    let features = app.db.rows("SELECT feature_name, uses, sessions FROM daily_feature_usage WHERE date = '2026-11-27' ORDER BY 1").await;
    let features: Vec<(String, u64, u64)> =
        features.into_iter().map(mysql_async::from_row).collect();
    assert_eq!(
        features,
        vec![("debugger".into(), 2, 2), ("share".into(), 1, 1)]
    );
    let browsers: Vec<(String, u64)> = app.db.rows("SELECT value, sessions FROM daily_client_usage WHERE date = '2026-11-27' AND dimension = 'browser'")
        .await.into_iter().map(mysql_async::from_row).collect();
    assert_eq!(browsers, vec![("Firefox".into(), 3)]);

    let before = report_tables(&app).await;
    app.jobs.run_once().await.unwrap();
    app.jobs
        .reports
        .rollup_days([date(27), date(28)])
        .await
        .unwrap();
    assert_eq!(report_tables(&app).await, before, "a rerun changes nothing");
}

both_stores!(late_events_reach_their_day_through_the_watermark);
async fn late_events_reach_their_day_through_the_watermark(kind: StoreKind) {
    // A window of one day: the 27th is recomputed only because one of its sessions changed.
    let app = TestApp::reporting_with(kind, |c| c.rollup_window_days = 1).await;
    let visit = Visit {
        ip: "203.0.113.9",
        start: at(27, 14, 0),
        seconds: 300,
        active: 100,
        runs: &[(60, 10, false)],
        features: &[],
    };
    let mut script = app.visit(&visit).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    assert_eq!(summary(&app, 27).await.unwrap().3, 1, "one run so far");
    // A run queued while the client was offline arrives a day late; its session started the 27th.
    app.clock.set(at(28, 12, 30));
    let late = vec![script.run(200.0, 40, Some("?OUT OF DATA"))];
    app.store(&script.batch(300.0, late)).await;
    let outcome = app.jobs.reports.rollup_due().await.unwrap();
    assert_eq!(
        outcome.rolled_up,
        vec![date(27)],
        "the 28th has no sessions; the 27th was touched"
    );
    let day = summary(&app, 27).await.unwrap();
    assert_eq!(
        (day.3, day.4, day.9),
        (2, 50, 1),
        "runs, lines and errors include the late run"
    );
    // Sessions seen within the margin before a run are looked at once more by the next run
    // (commits may lag their receive time); after that, nothing is touched.
    app.clock.set(at(28, 12, 45));
    let margin = app.jobs.reports.rollup_due().await.unwrap();
    assert_eq!(margin.rolled_up, vec![date(27)]);
    app.clock.set(at(28, 13, 0));
    let again = app.jobs.reports.rollup_due().await.unwrap();
    assert!(again.rolled_up.is_empty(), "{again:?}");
}

both_stores!(sessions_without_a_hash_each_count_as_a_visitor);
async fn sessions_without_a_hash_each_count_as_a_visitor(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| {
        c.ip_mode = usage_aggregator::visitor::IpMode::Drop
    })
    .await;
    for start in [at(27, 10, 0), at(27, 11, 0)] {
        app.visit(&Visit {
            ip: "203.0.113.1",
            start,
            seconds: 60,
            active: 30,
            runs: &[],
            features: &[],
        })
        .await;
    }
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    let day = summary(&app, 27).await.unwrap();
    assert_eq!(
        (day.1, day.2),
        (2, 2),
        "same address, but nothing links the two sessions"
    );
}

both_stores!(retention_deletes_raw_rows_before_the_boundary_and_keeps_their_summary);
async fn retention_deletes_raw_rows_before_the_boundary_and_keeps_their_summary(kind: StoreKind) {
    // Today is the 28th; ten days kept: the 18th is the first kept day.
    let app = TestApp::reporting_with(kind, |c| c.retention_days = 10).await;
    let outside = Visit {
        ip: "203.0.113.1",
        start: at(17, 23, 59),
        seconds: 60,
        active: 30,
        runs: &[(10, 5, false)],
        features: &["debugger"],
    };
    let inside = Visit {
        ip: "203.0.113.1",
        start: at(18, 0, 0),
        seconds: 60,
        active: 30,
        runs: &[(10, 7, false)],
        features: &["debugger"],
    };
    app.visit(&outside).await;
    app.visit(&inside).await;
    app.clock.set(at(28, 12, 0));
    let reports = &app.jobs.reports;
    assert_eq!(reports.first_kept_day(), date(18));
    // Straight to the purge: the 17th has no rollup yet, so it is rolled up before it goes.
    let purged = reports.purge().await.unwrap();
    assert_eq!(purged.days_rolled_up_first, 1);
    assert_eq!(
        (
            purged.sessions,
            purged.program_executions,
            purged.feature_usage
        ),
        (1, 1, 1)
    );
    assert_eq!(app.db.count("ide_sessions").await, 1);
    assert_eq!(
        app.db
            .scalar::<u64>("SELECT COUNT(*) FROM program_executions WHERE lines_executed = 7")
            .await,
        1
    );
    assert_eq!(app.db.count("program_executions").await, 1);
    assert_eq!(app.db.count("feature_usage").await, 1);
    let kept = summary(&app, 17).await.unwrap();
    assert_eq!(
        (kept.2, kept.4),
        (1, 5),
        "the summary of the purged day stays"
    );
    // So do its runs and feature data (the V8 summaries), which the raw rows no longer hold.
    let programs = app.stats("programs?from=2026-11-17&to=2026-11-17").await;
    assert_eq!(
        (
            programs["runs"].as_u64(),
            programs["lines_executed"].as_u64()
        ),
        (Some(1), Some(5))
    );
    let data = app
        .stats("features/debugger?from=2026-11-17&to=2026-11-17")
        .await;
    assert_eq!(data["events"], 1, "{data}");
    // Its summary is final: neither an explicit rollup nor a rerun of the purge touches it.
    let outcome = reports.rollup_days([date(17), date(18)]).await.unwrap();
    assert_eq!(
        (outcome.rolled_up, outcome.skipped),
        (vec![date(18)], vec![date(17)])
    );
    assert!(reports.purge().await.unwrap().is_empty());
    assert_eq!(summary(&app, 17).await, Some(kept));
    assert_eq!(summary(&app, 18).await.unwrap().4, 7);
}

both_stores!(the_rollup_stats_and_purge_commands_work_on_the_real_calendar);
async fn the_rollup_stats_and_purge_commands_work_on_the_real_calendar(kind: StoreKind) {
    // The binary runs on the system clock: seed days relative to the real today.
    let today = Utc::now().date_naive();
    let day = |back: u64| today.checked_sub_days(chrono::Days::new(back)).unwrap();
    let noon = |d: NaiveDate| d.and_hms_opt(12, 0, 0).unwrap().and_utc();
    let app = TestApp::reporting(kind).await;
    for (back, lines) in [(3, 30), (1, 10)] {
        let runs = [(30, lines, false)];
        let visit = Visit {
            ip: "203.0.113.5",
            start: noon(day(back)),
            seconds: 60,
            active: 30,
            runs: &runs,
            features: &[],
        };
        app.visit(&visit).await;
    }
    let (from, to) = (day(3).to_string(), day(1).to_string());
    let (ok, out) = run_command(&app.db, &["rollup", "--from", &from, "--to", &to], &[]);
    assert!(
        ok && out.contains("rolled up 2 day(s)") && out.contains("skipped 1"),
        "{out}"
    );
    let (ok, out) = run_command(&app.db, &["rollup", "--from", &to, "--to", &from], &[]);
    assert!(!ok && out.contains("before --from"), "{out}");

    let (ok, out) = run_command(&app.db, &["stats", "--days", "4"], &[]);
    assert!(ok, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.len(),
        8,
        "header, 4 days, rule, total, filtered:\n{out}"
    );
    assert_eq!(
        lines[7], "filtered (not in the figures): 0 automation, 0 crawler session(s)",
        "{out}"
    );
    assert!(
        lines[1].starts_with(&from) && lines[1].ends_with('0'),
        "{out}"
    );
    let total: Vec<&str> = lines[6].split_whitespace().collect();
    assert_eq!(
        (total[0], total[2], total[7]),
        ("total", "2", "40"),
        "{out}"
    );

    let (ok, out) = run_command(&app.db, &["stats", "--days", "4", "--json"], &[]);
    assert!(ok, "{out}");
    let answer: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(answer["days"].as_array().unwrap().len(), 4);
    assert_eq!(
        (
            answer["totals"]["sessions"].as_u64(),
            answer["totals"]["lines_executed"].as_u64()
        ),
        (Some(2), Some(40))
    );
    // The same read as the route: the CLI's JSON is /daily's answer.
    app.clock.set(Utc::now());
    let route = app
        .stats(&format!("daily?from={}&to={today}", day(3)))
        .await;
    assert_eq!(answer, route, "stats --json is /daily");
    let (ok, out) = run_command(&app.db, &["stats", "--json", "--site", "docs"], &[]);
    assert!(ok, "{out}");
    assert!(out.contains("\"sessions\":0"), "no docs sessions: {out}");
    let (ok, out) = run_command(&app.db, &["stats", "--site", "No Such"], &[]);
    assert!(!ok && out.contains("--site"), "{out}");
    cli_reports(&app, &from, &today.to_string()).await;

    // Two days kept: the session three days back goes, its summary stays.
    let short = [
        ("USAGE_RETENTION_DAYS", "2"),
        ("USAGE_ROLLUP_WINDOW_DAYS", "1"),
    ];
    let (ok, out) = run_command(&app.db, &["purge"], &short);
    assert!(
        ok && out.contains("deleted 1 session(s), 1 program run(s)"),
        "{out}"
    );
    assert_eq!(app.db.count("ide_sessions").await, 1);
    assert_eq!(app.db.count("daily_usage_summary").await, 2);
}

/// `stats --compare previous`, `--report hourly` and `--report time`: the routes' answers (the
/// seed of `the_rollup_stats_and_purge_commands_work_on_the_real_calendar`: one session a day
/// back, one three days back).
async fn cli_reports(app: &TestApp, from: &str, today: &str) {
    let (ok, out) = run_command(
        &app.db,
        &["stats", "--days", "2", "--compare", "previous", "--json"],
        &[],
    );
    assert!(ok, "{out}");
    let answer: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(answer["totals"]["sessions"], 1, "yesterday's: {out}");
    assert_eq!(
        answer["previous"]["totals"]["sessions"], 1,
        "three days back: {out}"
    );
    let (ok, out) = run_command(
        &app.db,
        &["stats", "--days", "2", "--compare", "previous"],
        &[],
    );
    assert!(
        ok && out.contains("previous ") && out.contains(": 1 session(s)"),
        "{out}"
    );

    let (ok, out) = run_command(&app.db, &["stats", "--report", "hourly", "--json"], &[]);
    assert!(ok, "{out}");
    let hourly: Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(
        (
            hourly["from"].as_str(),
            hourly["hours"].as_array().map(Vec::len)
        ),
        (Some(today), Some(24)),
        "today alone by default"
    );
    let (ok, out) = run_command(
        &app.db,
        &["stats", "--report", "hourly", "--days", "4"],
        &[],
    );
    assert!(ok && out.starts_with("date,hour,sessions,"), "{out}");
    assert_eq!(out.lines().count(), 1 + 4 * 24, "{out}");
    let (ok, out) = run_command(
        &app.db,
        &["stats", "--report", "hourly", "--days", "8"],
        &[],
    );
    assert!(
        !ok && out.contains("--days") && out.contains("7 days"),
        "{out}"
    );

    let (ok, out) = run_command(&app.db, &["stats", "--report", "time", "--days", "4"], &[]);
    assert!(
        ok && out.starts_with("date,sessions,avg_visible_seconds,"),
        "{out}"
    );
    let first = out.lines().nth(1).unwrap_or("");
    assert!(first.starts_with(from), "{out}");
    let (ok, out) = run_command(
        &app.db,
        &["stats", "--report", "time", "--compare", "previous"],
        &[],
    );
    assert!(!ok && out.contains("--compare"), "{out}");
}

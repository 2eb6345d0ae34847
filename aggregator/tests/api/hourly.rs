//! `/hourly` (issue 25): sessions by the UTC hour they started, from the per-(date, hour, site)
//! summaries the rollup pass writes (`daily_site_hours`, V11), with hand-computed figures.

use serde_json::Value;

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, Visit};

/// (sessions, unique_visitors, programs_run, program_errors, lines_executed, duration_seconds,
/// active_seconds) of one point.
fn point(hour: &Value) -> (u64, u64, u64, u64, u64, u64, u64) {
    let n = |key: &str| {
        hour[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {hour}"))
    };
    (
        n("sessions"),
        n("unique_visitors"),
        n("programs_run"),
        n("program_errors"),
        n("lines_executed"),
        n("duration_seconds"),
        n("active_seconds"),
    )
}

/// Sessions on both sides of hour boundaries: 09:59 and 10:00 (A), 10:59 (B), 23:50 crossing
/// midnight (C) on the 27th on `ide`, and 00:00 on the 28th (A) on `docs`.
async fn seed(app: &TestApp) {
    let ide = [
        (
            "203.0.113.1",
            at(27, 9, 59),
            600,
            300,
            &[(100, 100, false), (200, 50, true)][..],
        ),
        (
            "203.0.113.1",
            at(27, 10, 0),
            300,
            100,
            &[(60, 10, false)][..],
        ),
        ("203.0.113.2", at(27, 10, 59), 120, 60, &[][..]),
        (
            "203.0.113.3",
            at(27, 23, 50),
            1800,
            600,
            &[(1500, 1000, false)][..],
        ),
    ];
    for (ip, start, seconds, active, runs) in ide {
        let visit = Visit {
            ip,
            start,
            seconds,
            active,
            runs,
            features: &[],
        };
        app.visit(&visit).await;
    }
    let docs = Visit {
        ip: "203.0.113.1",
        start: at(28, 0, 0),
        seconds: 60,
        active: 30,
        runs: &[],
        features: &[],
    };
    app.visit_site("docs", &docs).await;
}

both_stores!(hours_count_sessions_where_they_started);
async fn hours_count_sessions_where_they_started(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed(&app).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();

    let two_days = app.stats("hourly?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(
        (two_days["from"].as_str(), two_days["to"].as_str()),
        (Some("2026-11-27"), Some("2026-11-28"))
    );
    assert_eq!(two_days["time_zone"], "UTC");
    let hours = two_days["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 48, "24 points a day, gap-free");
    assert_eq!(
        (hours[9]["date"].as_str(), hours[9]["hour"].as_u64()),
        (Some("2026-11-27"), Some(9))
    );
    // 09:59: A's first session, two runs (one failed), 150 lines.
    assert_eq!(point(&hours[9]), (1, 1, 2, 1, 150, 600, 300));
    // 10:00 and 10:59: A again and B; two visitors, 300+120 s, 100+60 s active.
    assert_eq!(point(&hours[10]), (2, 2, 1, 0, 10, 420, 160));
    assert_eq!(
        point(&hours[11]),
        (0, 0, 0, 0, 0, 0, 0),
        "B's session ran into 11:00"
    );
    // 23:50: C's session counts in the hour it started, its run after midnight too.
    assert_eq!(point(&hours[23]), (1, 1, 1, 0, 1000, 1800, 600));
    assert_eq!(
        point(&hours[24]),
        (1, 1, 0, 0, 0, 60, 30),
        "docs at midnight"
    );
    let total: u64 = hours.iter().map(|h| h["sessions"].as_u64().unwrap()).sum();
    let daily = app.stats("daily?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(total, daily["totals"]["sessions"].as_u64().unwrap());
    assert_eq!(total, 5);

    // One site's hours; without a range, today alone (the 28th).
    let ide = app
        .stats("hourly?from=2026-11-27&to=2026-11-28&site=ide")
        .await;
    assert_eq!(point(&ide["hours"][24]).0, 0);
    assert_eq!(point(&ide["hours"][10]).0, 2);
    let today = app.stats("hourly?site=docs").await;
    assert_eq!(today["hours"].as_array().unwrap().len(), 24);
    assert_eq!(
        (today["from"].as_str(), point(&today["hours"][0]).0),
        (Some("2026-11-28"), 1)
    );

    // A rerun writes the same rows (the day's hours are replaced, not added to).
    app.jobs.run_once().await.unwrap();
    let again = app.stats("hourly?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(again["hours"], two_days["hours"]);

    // CSV: a header and one row per hour.
    let csv = app.stats_csv("hourly?from=2026-11-27&to=2026-11-27").await;
    assert_eq!(csv.lines().count(), 25, "{csv}");
    assert!(
        csv.contains("\r\n2026-11-27,10,2,2,1,0,10,420,160\r\n"),
        "{csv}"
    );

    // Seven days are answered, eight refused naming `to`.
    let week = app.stats("hourly?from=2026-11-22&to=2026-11-28").await;
    assert_eq!(week["hours"].as_array().unwrap().len(), 168);
    let refused = app
        .stats_refused("hourly?from=2026-11-21&to=2026-11-28")
        .await;
    assert_eq!(refused["field"], "to", "{refused}");
}

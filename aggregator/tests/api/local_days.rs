//! Local days (issue 25): with `report_timezone = "America/Los_Angeles"`, sessions count on the
//! local day and hour they started, around local midnight and across the 23-hour day of
//! 2026-03-08 (02:00 PST becomes 03:00 PDT) and the 25-hour day of 2026-11-01 (02:00 PDT becomes
//! 01:00 PST); the same browser within a local day is one visitor, on both sides of UTC
//! midnight; the answers name the zone; changing the zone re-rolls the kept days. Figures by
//! hand from the start times below.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::Visit;

const LA: &str = "America/Los_Angeles";

fn utc(month: u32, day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, h, m, 0).unwrap()
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// (month, day, hour, minute) in UTC.
type Start = (u32, u32, u32, u32);

/// (address, start): each a one-minute session on `ide`, with the local time it starts at.
const SESSIONS: [(&str, Start); 13] = [
    // The spring-forward day.
    ("203.0.113.1", (3, 8, 7, 59)),  // 03-07 23:59 PST
    ("203.0.113.1", (3, 8, 8, 1)),   // 03-08 00:01 PST: the same browser, the next local day
    ("203.0.113.2", (3, 8, 9, 30)),  // 01:30 PST
    ("203.0.113.1", (3, 8, 10, 30)), // 03:30 PDT (02:xx does not exist)
    ("203.0.113.3", (3, 9, 6, 59)),  // 03-08 23:59 PDT
    ("203.0.113.3", (3, 9, 7, 1)),   // 03-09 00:01 PDT
    // The fall-back day.
    ("203.0.113.7", (11, 1, 6, 59)),  // 10-31 23:59 PDT
    ("203.0.113.5", (11, 1, 8, 30)),  // 11-01 01:30 PDT, the first 01:30
    ("203.0.113.6", (11, 1, 9, 30)),  // 01:30 PST, the second
    ("203.0.113.4", (11, 1, 23, 30)), // 15:30 PST
    ("203.0.113.4", (11, 2, 0, 30)),  // 16:30 PST: the same local day, the next UTC day
    ("203.0.113.7", (11, 2, 7, 59)),  // 11-01 23:59 PST
    ("203.0.113.7", (11, 2, 8, 1)),   // 11-02 00:01 PST
];

async fn seed(app: &TestApp) {
    for (ip, (month, day, h, m)) in SESSIONS {
        let visit = Visit {
            ip,
            start: utc(month, day, h, m),
            seconds: 60,
            active: 30,
            runs: &[],
            features: &[],
        };
        app.visit(&visit).await;
    }
}

/// (date, sessions, unique visitors) of each day of a daily answer.
pub fn days(answer: &Value) -> Vec<(String, u64, u64)> {
    answer["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["sessions"].as_u64().unwrap(),
                d["unique_visitors"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn day(date: &str, sessions: u64, visitors: u64) -> (String, u64, u64) {
    (date.to_string(), sessions, visitors)
}

/// (hour, sessions, visitors) of the hours with sessions.
fn busy_hours(answer: &Value) -> Vec<(u64, u64, u64)> {
    let hours = answer["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24, "24 points, whatever the day's length");
    hours
        .iter()
        .filter(|h| h["sessions"].as_u64() != Some(0))
        .map(|h| {
            (
                h["hour"].as_u64().unwrap(),
                h["sessions"].as_u64().unwrap(),
                h["unique_visitors"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The `column` of the CSV row of `date`.
fn csv_cell(table: &str, date: &str, column: &str) -> String {
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == column).unwrap();
    let row = lines
        .find(|l| l.split(',').any(|c| c == date))
        .unwrap_or_else(|| panic!("no row of {date} in {table}"));
    row.split(',').nth(at).unwrap().to_string()
}

both_stores!(sessions_count_on_local_days_and_hours);
async fn sessions_count_on_local_days_and_hours(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| c.report_timezone = LA.parse().unwrap()).await;
    seed(&app).await;
    // 04:00 PST on 11-02.
    app.clock.set(utc(11, 2, 12, 0));
    app.jobs.run_once().await.unwrap();

    let spring = app.stats("daily?from=2026-03-07&to=2026-03-09").await;
    assert_eq!(spring["time_zone"], LA);
    assert_eq!(
        days(&spring),
        [
            day("2026-03-07", 1, 1),
            day("2026-03-08", 4, 3),
            day("2026-03-09", 1, 1)
        ],
        "the 1st browser's 00:01 and 03:30 sessions are one visitor of the 8th"
    );
    let hours = app.stats("hourly?from=2026-03-08&to=2026-03-08").await;
    assert_eq!(hours["time_zone"], LA);
    assert_eq!(
        busy_hours(&hours),
        [(0, 1, 1), (1, 1, 1), (3, 1, 1), (23, 1, 1)],
        "02:00 does not exist on the 23-hour day"
    );

    let fall = app.stats("daily?from=2026-10-31&to=2026-11-02").await;
    assert_eq!(
        days(&fall),
        [
            day("2026-10-31", 1, 1),
            day("2026-11-01", 5, 4),
            day("2026-11-02", 1, 1)
        ],
        "15:30 and 16:30 PST (either side of UTC midnight) are one visitor"
    );
    let hours = app.stats("hourly?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(
        busy_hours(&hours),
        [(1, 2, 2), (15, 1, 1), (16, 1, 1), (23, 1, 1)],
        "both passes of 01:xx on the 25-hour day are one hour"
    );

    // The CSV exports the same local days and hours.
    let table = app.stats_csv("daily?from=2026-10-31&to=2026-11-02").await;
    assert_eq!(csv_cell(&table, "2026-11-01", "sessions"), "5", "{table}");
    assert_eq!(csv_cell(&table, "2026-11-01", "unique_visitors"), "4");
    let table = app.stats_csv("hourly?from=2026-11-01&to=2026-11-01").await;
    let one_am = table
        .lines()
        .find(|l| l.starts_with("2026-11-01,1,"))
        .unwrap();
    assert!(one_am.starts_with("2026-11-01,1,2,2,"), "{table}");

    // Today is the zone's: 23:30 PST on 11-01 is the 2nd in UTC, still the 1st here.
    app.clock.set(utc(11, 2, 7, 30));
    let today = app.stats("hourly").await;
    assert_eq!(
        (today["from"].as_str(), today["time_zone"].as_str()),
        (Some("2026-11-01"), Some(LA))
    );
    let daily = app.stats("daily").await;
    assert_eq!(daily["to"], "2026-11-01");
    for route in ["features", "programs", "clients", "errors"] {
        assert_eq!(app.stats(route).await["time_zone"], LA, "{route}");
    }
}

both_stores!(utc_stays_the_default_and_a_change_of_zone_rerolls_the_kept_days);
async fn utc_stays_the_default_and_a_change_of_zone_rerolls_the_kept_days(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed(&app).await;
    app.clock.set(utc(11, 2, 12, 0));
    app.jobs.run_once().await.unwrap();

    let utc_days = app.stats("daily?from=2026-03-07&to=2026-03-09").await;
    assert_eq!(utc_days["time_zone"], "UTC");
    assert_eq!(
        days(&utc_days),
        [
            day("2026-03-07", 0, 0),
            day("2026-03-08", 4, 2),
            day("2026-03-09", 2, 1)
        ]
    );
    let fall = app.stats("daily?from=2026-10-31&to=2026-11-02").await;
    assert_eq!(
        days(&fall),
        [
            day("2026-10-31", 0, 0),
            day("2026-11-01", 4, 4),
            day("2026-11-02", 3, 2)
        ]
    );
    let hours = app.stats("hourly?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(
        busy_hours(&hours),
        [(6, 1, 1), (8, 1, 1), (9, 1, 1), (23, 1, 1)]
    );
    assert_eq!(app.stats("hourly").await["from"], "2026-11-02");

    // The same store's rollup in Los Angeles time: every kept day is re-rolled on its local
    // days (the days a UTC rollup wrote record UTC, V16), and the UTC days that have no session
    // in the new zone lose their rows. Read from the store (the app answers in UTC).
    let reports = &app.jobs.reports;
    let mut settings = reports.settings.clone();
    settings.zone = LA.parse().unwrap();
    let in_la = usage_aggregator::report::Reports {
        store: reports.store.clone(),
        clock: reports.clock.clone(),
        settings,
        funnel: reports.funnel.clone(),
        site_zones_checked: Default::default(),
    };
    let outcome = in_la.rollup_due().await.unwrap();
    assert!(outcome.rolled_up.contains(&date(3, 7)), "{outcome:?}");
    let range = usage_aggregator::domain::report::dates::DateRange {
        from: date(3, 7),
        to: date(11, 2),
    };
    let stored: Vec<(NaiveDate, u64, u64)> = reports
        .store
        .daily_rows(&range, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.date, r.sessions, r.unique_visitors))
        .collect();
    // Visitors were hashed with UTC days' salts when these sessions came in: the 1st browser's
    // 03-08 00:01 and 03:30 PST sessions share a salt (both 03-08 UTC), the 4th's 15:30 and
    // 16:30 PST do not (11-01 and 11-02 UTC), which only a new session hashes anew.
    assert_eq!(
        stored,
        [
            (date(3, 7), 1, 1),
            (date(3, 8), 4, 3),
            (date(3, 9), 1, 1),
            (date(10, 31), 1, 1),
            (date(11, 1), 5, 5),
            (date(11, 2), 1, 1),
        ]
    );
    // Back to UTC: 03-07 and 10-31 have no sessions in UTC and are forgotten.
    let outcome = reports.rollup_due().await.unwrap();
    assert!(outcome.rolled_up.contains(&date(3, 8)), "{outcome:?}");
    let days_kept: Vec<NaiveDate> = reports
        .store
        .daily_rows(&range, None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.date)
        .collect();
    assert_eq!(
        days_kept,
        [date(3, 8), date(3, 9), date(11, 1), date(11, 2)]
    );
    let again = app.stats("daily?from=2026-10-31&to=2026-11-02").await;
    assert_eq!(days(&again), days(&fall), "as before the change");
    // A run with nothing changed rolls up nothing.
    assert!(reports.rollup_due().await.unwrap().rolled_up.is_empty());
}

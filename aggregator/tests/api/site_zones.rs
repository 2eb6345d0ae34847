//! Per-site time zones (issue 25, `site_timezones`): with the report zone UTC and `ide` in
//! America/Los_Angeles, `ide`'s answers (`?site=ide`) count its sessions on Los Angeles days and
//! hours, name that zone and take "today" there; `docs` (no override) and the all-sites answers
//! stay on UTC days; a browser's two `ide` sessions of one Los Angeles day on two UTC days are one
//! visitor of that day; restarting with `ide` in Asia/Tokyo re-rolls `ide`'s kept days, and its
//! day that has no session in Tokyo loses its rows (`docs`' row of that day stays). Figures by
//! hand from the start times below (November: Los Angeles is UTC-8, Tokyo UTC+9). A site row of a
//! release before V18 (no zone) counts as of its day's all-sites zone and is not re-rolled.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{Visit, TOKEN};

const LA: &str = "America/Los_Angeles";
const TOKYO: &str = "Asia/Tokyo";

fn utc(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0).unwrap()
}

/// (site, address, (day, hour, minute) UTC): one-minute sessions.
const SESSIONS: [(&str, &str, (u32, u32, u32)); 8] = [
    ("docs", "203.0.113.5", (25, 12, 0)), // UTC 25th
    ("ide", "203.0.113.4", (26, 2, 0)),   // 25th 18:00 PST; 26th 11:00 JST
    ("ide", "203.0.113.1", (27, 23, 30)), // 27th 15:30 PST
    ("docs", "203.0.113.3", (27, 23, 59)),
    ("ide", "203.0.113.1", (28, 0, 30)), // 27th 16:30 PST: the same browser, the next UTC day
    ("docs", "203.0.113.3", (28, 0, 1)),
    ("ide", "203.0.113.2", (28, 7, 59)), // 27th 23:59 PST
    ("ide", "203.0.113.2", (28, 8, 1)),  // 28th 00:01 PST
];

fn reporting(c: &mut usage_aggregator::config::Config, site_zones: &str) {
    c.admin_token = Some(TOKEN.into());
    c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    c.rollup_interval_secs = 24 * 3600;
    c.site_timezones = site_zones.parse().unwrap();
}

/// (date, sessions, unique visitors) of each day of a daily answer, and its zone.
fn days(answer: &Value) -> (Vec<(String, u64, u64)>, String) {
    let zone = answer["time_zone"].as_str().unwrap().to_string();
    (crate::local_days::days(answer), zone)
}

/// The days 25th to 28th with their (sessions, visitors), and the zone.
fn expect(figures: [(u64, u64); 4], zone: &str) -> (Vec<(String, u64, u64)>, String) {
    let days = (25..=28)
        .zip(figures)
        .map(|(d, (s, v))| (format!("2026-11-{d}"), s, v))
        .collect();
    (days, zone.to_string())
}

/// The runs and lines of `site`'s programs on the `day`th (of its zone).
async fn runs(app: &TestApp, site: &str, day: u32) -> (u64, u64) {
    let day = format!("2026-11-{day}");
    let answer = app
        .stats(&format!("programs?site={site}&from={day}&to={day}"))
        .await;
    let figure = |name: &str| answer[name].as_u64().unwrap();
    (figure("runs"), figure("lines_executed"))
}

const RANGE: &str = "from=2026-11-25&to=2026-11-28";

both_stores!(a_site_counts_on_the_days_and_hours_of_its_own_zone);
async fn a_site_counts_on_the_days_and_hours_of_its_own_zone(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| reporting(c, &format!("ide={LA}"))).await;
    for (site, ip, (day, h, m)) in SESSIONS {
        let visit = Visit {
            ip,
            start: utc(day, h, m),
            seconds: 60,
            active: 30,
            // B runs a program (5 lines): its run counts where B does.
            runs: if (day, h) == (28, 0) && site == "ide" {
                &[(10, 5, false)]
            } else {
                &[]
            },
            features: &[],
        };
        app.visit_site(site, &visit).await;
    }
    app.clock.set(utc(28, 12, 0));
    app.jobs.run_once().await.unwrap();

    // ide on Los Angeles days: the 25th holds G; the 27th A, B and C, where A and B are the
    // first browser's (hashed with the salt of the 27th in Los Angeles: one visitor); the
    // 28th D.
    let ide = app.stats(&format!("daily?site=ide&{RANGE}")).await;
    assert_eq!(days(&ide), expect([(1, 1), (0, 0), (3, 2), (1, 1)], LA));
    // docs has no override: UTC days.
    let docs = app.stats(&format!("daily?site=docs&{RANGE}")).await;
    assert_eq!(days(&docs), expect([(1, 1), (0, 0), (1, 1), (1, 1)], "UTC"));
    // All sites on UTC days: G on the 26th, A and E on the 27th, B, C, D and F on the 28th,
    // where C and D (the second browser, either side of Los Angeles midnight) are hashed with
    // two days' salts: two visitors of the UTC day (docs/reports.md says so).
    let all = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(days(&all), expect([(1, 1), (1, 1), (2, 2), (4, 4)], "UTC"));

    assert_eq!(
        runs(&app, "ide", 27).await,
        (1, 5),
        "B's run, on its Los Angeles day"
    );
    assert_eq!(runs(&app, "ide", 28).await, (0, 0));

    // Its hours are Los Angeles hours: 15:30, 16:30 and 23:59 on the 27th.
    let hours = app
        .stats("hourly?site=ide&from=2026-11-27&to=2026-11-27")
        .await;
    assert_eq!(hours["time_zone"], LA);
    let busy: Vec<(u64, u64)> = hours["hours"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["sessions"].as_u64() != Some(0))
        .map(|h| (h["hour"].as_u64().unwrap(), h["sessions"].as_u64().unwrap()))
        .collect();
    assert_eq!(busy, [(15, 1), (16, 1), (23, 1)]);
    let table = app
        .stats_csv("hourly?site=ide&from=2026-11-27&to=2026-11-27")
        .await;
    assert!(
        table.lines().any(|l| l.starts_with("2026-11-27,16,1,1,")),
        "{table}"
    );
    let table = app.stats_csv(&format!("daily?site=ide&{RANGE}")).await;
    let row = table
        .lines()
        .find(|l| l.split(',').any(|c| c == "2026-11-27"))
        .unwrap_or_else(|| panic!("no row of the 27th in {table}"));
    let header: Vec<&str> = table.lines().next().unwrap().split(',').collect();
    let cell = |name: &str| {
        let at = header.iter().position(|c| *c == name).unwrap();
        row.split(',').nth(at).unwrap().to_string()
    };
    assert_eq!(
        (cell("sessions"), cell("unique_visitors")),
        ("3".into(), "2".into()),
        "{table}"
    );

    // Today is the site's: 03:00 UTC on the 28th is 19:00 on the 27th in Los Angeles.
    app.clock.set(utc(28, 3, 0));
    let today = app.stats("hourly?site=ide").await;
    assert_eq!(
        (today["from"].as_str(), today["time_zone"].as_str()),
        (Some("2026-11-27"), Some(LA))
    );
    assert_eq!(app.stats("daily?site=ide").await["to"], "2026-11-27");
    let today = app.stats("hourly").await;
    assert_eq!(
        (today["from"].as_str(), today["time_zone"].as_str()),
        (Some("2026-11-28"), Some("UTC"))
    );
    for route in [
        "features", "programs", "clients", "errors", "time", "journey", "funnel",
    ] {
        let answer = app.stats(&format!("{route}?site=ide")).await;
        assert_eq!(answer["time_zone"], LA, "{route}");
        assert_eq!(
            app.stats(&format!("{route}?site=docs")).await["time_zone"],
            "UTC",
            "{route}"
        );
        assert_eq!(answer.get("sites_in_own_zones"), None, "{route}");
    }
    // The all-sites answers that add up each site's summaries say which sites count on their
    // own days; those with all-sites summaries (daily, features, clients) are all UTC.
    for route in ["hourly", "programs", "errors", "time", "journey", "funnel"] {
        let answer = app.stats(route).await;
        assert_eq!(answer["sites_in_own_zones"], json!({"ide": LA}), "{route}");
    }
    let share = app.stats("features/share").await;
    assert_eq!(share["sites_in_own_zones"], json!({"ide": LA}));
    for route in ["daily", "features", "clients"] {
        let answer = app.stats(route).await;
        assert_eq!(answer.get("sites_in_own_zones"), None, "{route}");
    }

    // Restarted over the same database with ide in Tokyo: the run after re-rolls ide's kept
    // days on Tokyo days (G on the 26th; A, B, C and D on the 28th, whose stored hashes are
    // three: A and B shared a salt, C and D did not), and ide's 25th (G's Los Angeles day) has
    // no session in Tokyo and loses its rows; docs and all sites are as they were.
    let db = app.shutdown().await;
    let app = TestApp::spawn_on(db, |c| reporting(c, &format!("ide={TOKYO}"))).await;
    app.clock.set(utc(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    let ide = app.stats(&format!("daily?site=ide&{RANGE}")).await;
    assert_eq!(days(&ide), expect([(0, 0), (1, 1), (0, 0), (4, 3)], TOKYO));
    assert_eq!(runs(&app, "ide", 27).await, (0, 0));
    assert_eq!(
        runs(&app, "ide", 28).await,
        (1, 5),
        "B's run, on its Tokyo day"
    );
    let docs_after = app.stats(&format!("daily?site=docs&{RANGE}")).await;
    assert_eq!(days(&docs_after), days(&docs));
    let all_after = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(days(&all_after), days(&all));
    // Nothing changed since: nothing to roll up.
    let again = app.jobs.reports.rollup_due().await.unwrap();
    assert!(again.rolled_up.is_empty(), "{again:?}");
}

both_stores!(a_site_row_of_a_release_before_v18_is_of_its_days_zone);
async fn a_site_row_of_a_release_before_v18_is_of_its_days_zone(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        reporting(c, "");
        c.report_timezone = LA.parse().unwrap();
    })
    .await;
    for (site, ip, (day, h, m)) in SESSIONS {
        let visit = Visit {
            ip,
            start: utc(day, h, m),
            seconds: 60,
            active: 30,
            runs: &[],
            features: &[],
        };
        app.visit_site(site, &visit).await;
    }
    app.clock.set(utc(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    // The previous release wrote no zone on a site's row: its days were rolled up in the zone
    // of the all-sites row (Los Angeles here), so a process starting now re-rolls nothing.
    app.db
        .execute("UPDATE daily_site_usage SET time_zone = NULL")
        .await;
    let reports = &app.jobs.reports;
    let fresh = |site_zones: &str| usage_aggregator::report::Reports {
        store: reports.store.clone(),
        clock: reports.clock.clone(),
        settings: usage_aggregator::report::ReportSettings {
            site_zones: site_zones.parse().unwrap(),
            ..reports.settings.clone()
        },
        funnel: reports.funnel.clone(),
        site_zones_checked: Default::default(),
    };
    let outcome = fresh("").rollup_due().await.unwrap();
    assert!(outcome.rolled_up.is_empty(), "{outcome:?}");
    // docs in UTC now: its days (the 25th, 27th and 28th in UTC) are re-rolled; ide's are not
    // looked at (its Los Angeles days stay), and nothing is left of another zone.
    let docs_days = || async {
        let site = usage_aggregator::domain::report::site::Site::parse("docs").unwrap();
        let range = usage_aggregator::domain::report::dates::DateRange {
            from: utc(25, 0, 0).date_naive(),
            to: utc(28, 0, 0).date_naive(),
        };
        let rows = reports.store.daily_rows(&range, Some(&site)).await.unwrap();
        rows.into_iter()
            .map(|r| (r.date.format("%d").to_string(), r.sessions))
            .collect::<Vec<_>>()
    };
    let day = |d: &str, n: u64| (d.to_string(), n);
    // H at 04:00, E and F at 15:59 and 16:01 on the 27th in Los Angeles.
    assert_eq!(docs_days().await, [day("25", 1), day("27", 2)]);
    let outcome = fresh("docs=UTC").rollup_due().await.unwrap();
    assert!(!outcome.rolled_up.is_empty(), "{outcome:?}");
    assert_eq!(
        docs_days().await,
        [day("25", 1), day("27", 1), day("28", 1)]
    );
    let again = fresh("docs=UTC").rollup_due().await.unwrap();
    assert!(again.rolled_up.is_empty(), "{again:?}");
}

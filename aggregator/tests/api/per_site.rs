//! `?site=`: one site's reports, from the per-site summary tables (V6) that the summary refresh
//! and the rollup write alike; the all-sites figures stay in `daily_usage_summary`.

use serde_json::{json, Value};

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, Visit, TOKEN};

const RANGE: &str = "from=2026-11-27&to=2026-11-27";

/// Day 27: the same address on two sites (the visitor hash covers the site, so two visitors).
async fn seed(app: &TestApp) {
    let ide = [
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
    ];
    for visit in &ide {
        app.visit_site("ide", visit).await;
    }
    let docs = Visit {
        ip: "203.0.113.1",
        start: at(27, 16, 0),
        seconds: 60,
        active: 30,
        runs: &[(30, 7, false)],
        features: &["save"],
    };
    app.visit_site("docs", &docs).await;
}

fn figures(daily: &Value) -> (u64, u64, u64, u64, u64, u64, u64, u64) {
    let day = &daily["days"][0];
    let n = |key: &str| {
        day[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {day}"))
    };
    (
        n("unique_visitors"),
        n("sessions"),
        n("programs_run"),
        n("lines_executed"),
        n("avg_duration_seconds"),
        n("avg_active_seconds"),
        n("program_errors"),
        n("feature_uses"),
    )
}

/// Every ranged route of one site (or all: `""`), without the freshness fields.
async fn answers(app: &TestApp, site: &str) -> Value {
    let query = if site == "all" {
        RANGE.to_string()
    } else {
        format!("{RANGE}&site={site}")
    };
    let mut out = json!({});
    for route in ["daily", "features", "clients", "programs"] {
        let mut body = app.stats(&format!("{route}?{query}")).await;
        if let Some(object) = body.as_object_mut() {
            object.remove("rolled_up_at");
            object.remove("live_days");
            object.remove("summaries_as_of");
        }
        out[route] = body;
    }
    out
}

both_stores!(each_site_has_its_own_figures_live_and_rolled_up);
async fn each_site_has_its_own_figures_live_and_rolled_up(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed(&app).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;

    let mut before = Vec::new();
    for site in ["ide", "docs", "all"] {
        before.push(answers(&app, site).await);
    }
    // ide: 2 sessions, runs 2+1 (lines 150+10, one error), durations (600+300)/2, active
    // (300+100)/2, features debugger twice and share. docs: the one short visit.
    assert_eq!(figures(&before[0]["daily"]), (1, 2, 3, 160, 450, 200, 1, 3));
    assert_eq!(figures(&before[1]["daily"]), (1, 1, 1, 7, 60, 30, 0, 1));
    // All sites: two visitors (one per site), (600+300+60)/3 = 320, (300+100+30)/3 = 143.3.
    assert_eq!(figures(&before[2]["daily"]), (2, 3, 4, 167, 320, 143, 1, 4));
    assert_eq!(
        before[1]["features"]["features"],
        json!([{"name": "save", "uses": 1, "sessions": 1}])
    );
    assert_eq!(before[1]["clients"]["browsers"][0]["sessions"], 1);
    assert_eq!(
        (
            before[0]["programs"]["runs"].as_u64(),
            before[0]["programs"]["failed"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let sessions = app.stats("sessions?site=docs").await;
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(sessions["sessions"][0]["lines_executed"], 7);

    // The full rollup keeps per-(day, site) rows beside the all-sites row, with the numbers the
    // refresh stored.
    app.jobs.run_once().await.unwrap();
    assert_eq!(app.db.count("daily_usage_summary").await, 1);
    assert_eq!(app.db.count("daily_site_usage").await, 2);
    let by_site: Vec<(String, u64, u64)> = app
        .db
        .rows("SELECT site_id, ide_sessions, total_lines_executed FROM daily_site_usage ORDER BY site_id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    assert_eq!(by_site, vec![("docs".into(), 1, 7), ("ide".into(), 2, 160)]);
    for (i, site) in ["ide", "docs", "all"].into_iter().enumerate() {
        let daily = app.stats(&format!("daily?{RANGE}&site={site}")).await;
        if site != "all" {
            assert_eq!(daily["live_days"], json!([]), "{site}: from the rollup now");
        }
        assert_eq!(
            answers(&app, site).await,
            before[i],
            "{site}: rollup == refresh"
        );
    }
    // A site without sessions is zeros; a malformed one is refused, naming the parameter.
    let none = app.stats(&format!("daily?{RANGE}&site=blog")).await;
    assert_eq!(figures(&none), (0, 0, 0, 0, 0, 0, 0, 0));
    let refused = app
        .http
        .get(format!("{}/api/v1/stats/daily?site=No%20Such", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["field"], "site");
}

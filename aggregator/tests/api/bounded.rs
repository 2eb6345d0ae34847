//! Hostile cardinality through the real ingest (issue 23): thousands of distinct error groups,
//! feature names, feature-data texts and site ids. Every answer stays bounded (at most 100 KB,
//! lists at most their limit) and its totals exact (listed + other == total), after the summary
//! refresh and after the full rollup (days read from the capped summaries), on both stores.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, TOKEN};

/// Distinct values of each kind the attack sends.
const DISTINCT: usize = 1_500;
/// Uses of the one popular value of each kind, which must rank first.
const POPULAR: usize = 60;
const MAX_ANSWER_BYTES: usize = 100 * 1024;
const RANGE: &str = "from=2026-11-27&to=2026-11-28";
/// A year ending with [`RANGE`]: read through the covering indexes (`Reads::indexed`).
const YEAR: &str = "from=2025-11-29&to=2026-11-28";

/// `i` in letters only, so that grouping (digits become `#`) keeps every message apart.
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

/// Sends `events` in batches of 100, one session per batch, on `site`, at `when`.
async fn send_all(app: &TestApp, site: &str, when: DateTime<Utc>, events: Vec<Value>) {
    app.clock.set(when);
    for chunk in events.chunks(100) {
        let mut script = SessionScript::new();
        script.site = site.into();
        let batch = script.batch(30.0, chunk.to_vec());
        app.store(&batch).await;
    }
}

/// (body size, JSON) of a stats read.
async fn answer(app: &TestApp, path: &str) -> (usize, Value) {
    let response = app
        .http
        .get(format!("{}/api/v1/stats/{path}", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{path}: {text}");
    let size = text.len();
    assert!(size <= MAX_ANSWER_BYTES, "{path}: {size} bytes");
    (size, serde_json::from_str(&text).unwrap())
}

fn sum(list: &Value, field: &str) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_u64().unwrap())
        .sum()
}

async fn seed(app: &TestApp) {
    let mut s = SessionScript::new();
    let mut runs: Vec<Value> = (0..DISTINCT)
        .map(|i| s.run(1.0, 1, Some(&format!("?HOSTILE {}", word(i)))))
        .collect();
    runs.extend((0..POPULAR).map(|_| s.run(1.0, 1, Some("?POPULAR ERROR IN 10"))));
    send_all(app, "ide", at(27, 10, 0), runs).await;
    let mut features: Vec<Value> = (0..DISTINCT)
        .map(|i| s.feature_with(1.0, &format!("f-{}", word(i)), json!({"k": 1})))
        .collect();
    features.extend((0..POPULAR).map(|_| s.feature_with(1.0, "popular", json!({"k": 1}))));
    send_all(app, "ide", at(27, 10, 5), features).await;
    let mut texts: Vec<Value> = (0..DISTINCT)
        .map(|i| {
            s.feature_with(
                1.0,
                "save",
                json!({"name": word(i), "note": "x".repeat(60)}),
            )
        })
        .collect();
    texts.extend((0..POPULAR).map(|_| s.feature_with(1.0, "save", json!({"name": "popular"}))));
    send_all(app, "ide", at(27, 10, 10), texts).await;
}

/// Every report of the range: bounded, ranked, and exact in its totals.
async fn assert_bounded_and_exact(app: &TestApp, when: &str) {
    let (_, errors) = answer(app, &format!("errors?{RANGE}&limit=100")).await;
    let listed = errors["errors"].as_array().unwrap();
    assert_eq!(listed.len(), 100, "{when}");
    assert_eq!(listed[0]["error"], "?POPULAR ERROR IN #", "{when}");
    assert_eq!(listed[0]["runs"], POPULAR as u64, "{when}");
    let failed = (DISTINCT + POPULAR) as u64;
    assert_eq!(errors["failed_runs"], failed, "{when}");
    assert_eq!(
        sum(&errors["errors"], "runs") + errors["other"]["count"].as_u64().unwrap(),
        failed,
        "{when}: listed + other == total"
    );

    let uses = (DISTINCT + POPULAR + DISTINCT + POPULAR) as u64;
    for (limit, expected) in [("", 50), ("&limit=200", 200)] {
        let (_, features) = answer(app, &format!("features?{RANGE}{limit}")).await;
        let list = features["features"].as_array().unwrap();
        assert_eq!(list.len(), expected, "{when}");
        let names: Vec<&str> = list.iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(&names[..2], ["save", "popular"], "{when}");
        assert!(
            !names.contains(&"(other)"),
            "{when}: the remainder is no feature"
        );
        assert_eq!(
            sum(&features["features"], "uses") + features["other"]["count"].as_u64().unwrap(),
            uses,
            "{when}: listed + other == total"
        );
    }
    let (_, daily) = answer(app, &format!("daily?{RANGE}")).await;
    assert_eq!(daily["totals"]["feature_uses"], uses, "{when}");

    let (_, data) = answer(app, &format!("features/save?{RANGE}")).await;
    let events = (DISTINCT + POPULAR) as u64;
    let values = &data["keys"].as_array().unwrap()[0]["values"];
    assert_eq!(values[0]["value"], "popular", "{when}: {data}");
    assert!(
        data["events"].as_u64().unwrap() + data["other"]["count"].as_u64().unwrap() == events,
        "{when}: read + other == total: {}",
        data["other"]
    );

    let (_, clients) = answer(app, &format!("clients?{RANGE}")).await;
    let sessions = daily["totals"]["sessions"].as_u64().unwrap();
    assert_eq!(
        sum(&clients["browsers"], "sessions")
            + clients["other"]["browsers"]["count"].as_u64().unwrap(),
        sessions,
        "{when}"
    );
    answer(app, &format!("programs?{RANGE}")).await;
}

/// Over a year, the errors and feature-data reads rank through their covering indexes (a week's
/// do not): the same lists and totals as over the seeded days alone.
async fn assert_a_year_reads_the_same(app: &TestApp, when: &str) {
    for path in ["errors?limit=100&", "features/save?"] {
        let (_, days) = answer(app, &format!("{path}{RANGE}")).await;
        let (_, year) = answer(app, &format!("{path}{YEAR}")).await;
        for field in ["errors", "failed_runs", "keys", "events", "other"] {
            assert_eq!(days.get(field), year.get(field), "{when}: {path} {field}");
        }
    }
}

both_stores!(hostile_cardinality_gives_bounded_answers_with_exact_totals);
async fn hostile_cardinality_gives_bounded_answers_with_exact_totals(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed(&app).await;
    app.clock.set(at(27, 12, 0));
    app.refresh_summaries().await;
    assert_bounded_and_exact(&app, "after the summary refresh").await;
    assert_a_year_reads_the_same(&app, "after the summary refresh").await;

    app.jobs.run_once().await.unwrap();
    let db = &app.db;
    let per_day = |table: &str| format!("{table} WHERE site_id = 'ide'");
    assert_eq!(
        db.count(&per_day("daily_site_errors")).await,
        101,
        "100 groups + (other)"
    );
    assert_eq!(
        db.count(&per_day("daily_site_feature_usage")).await,
        201,
        "200 features + (other)"
    );
    assert_eq!(
        db.count("daily_site_feature_data WHERE site_id = 'ide' AND feature_name = 'save'")
            .await,
        51,
        "50 texts + (other)"
    );
    assert!(db.count(&per_day("daily_site_feature_data")).await <= 51 * 51);
    assert_bounded_and_exact(&app, "after the rollup").await;
    assert_a_year_reads_the_same(&app, "after the rollup").await;
}

both_stores!(many_sites_live_lists_the_largest_and_keeps_the_total);
async fn many_sites_live_lists_the_largest_and_keeps_the_total(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| c.max_new_sites_per_day = 0).await;
    let now = at(28, 12, 0);
    app.clock.set(now);
    for i in 0..60 {
        let mut script = SessionScript::new();
        script.site = format!("site-{}", word(i));
        let start = script.start(0.0);
        app.store(&script.batch(0.0, vec![start])).await;
    }
    let (_, live) = answer(&app, "live").await;
    assert_eq!(live["sessions"], 60);
    assert_eq!(live["sites"].as_array().unwrap().len(), 20);
    assert_eq!(
        sum(&live["sites"], "sessions") + live["other"]["count"].as_u64().unwrap(),
        60
    );
    assert_eq!(live["other"]["share"], 0.6667);
    // A site beyond the 20 listed is still there when asked for by name.
    let last = format!("site-{}", word(59));
    let listed: Vec<&str> = live["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site"].as_str().unwrap())
        .collect();
    assert!(!listed.contains(&last.as_str()));
    let (_, one) = answer(&app, &format!("live?site={last}")).await;
    assert_eq!(one["sites"][0]["site"], last.as_str());
    assert_eq!(
        (one["sessions"].as_u64(), one["other"]["count"].as_u64()),
        (Some(1), Some(0))
    );
}

both_stores!(new_sites_beyond_the_days_cap_are_refused_with_a_clear_422);
async fn new_sites_beyond_the_days_cap_are_refused_with_a_clear_422(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| c.max_new_sites_per_day = 3).await;
    app.clock.set(at(28, 12, 0));
    let mut statuses = Vec::new();
    for site in ["a", "b", "c", "d", "a"] {
        let mut script = SessionScript::new();
        script.site = site.into();
        let start = script.start(0.0);
        let response = app.post(&script.batch(0.0, vec![start])).await;
        statuses.push(response.status().as_u16());
        if response.status() == 422 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["field"], "site");
            assert!(
                body["error"].as_str().unwrap().contains("new site"),
                "{body}"
            );
        }
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 422, 200],
        "a known site is never refused"
    );
    app.clock.set(at(29, 0, 1));
    let mut script = SessionScript::new();
    script.site = "d".into();
    let start = script.start(0.0);
    assert_eq!(
        app.post(&script.batch(0.0, vec![start])).await.status(),
        200,
        "a new day"
    );
}

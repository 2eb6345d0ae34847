//! `/time` (issue 25, "where the time goes"): average visible, active, running and idle time per
//! session and the share of sessions without input, from the per-(date, site) sums the rollup
//! pass writes (`daily_site_time`, V15) and the run time of `daily_site_programs` (V8), with
//! hand-computed figures.

use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, Visit};

/// A session of `site` starting at `start`: visible `seconds`, `active` seconds of input, and
/// runs of the given run times (ms).
async fn session(
    app: &TestApp,
    site: &str,
    start: (u32, u32),
    seconds: f64,
    active: f64,
    runs_ms: &[u64],
) {
    let mut script = SessionScript::new();
    script.site = site.into();
    let start = at(27, start.0, start.1);
    app.clock.set(start);
    let xff = [("x-forwarded-for", "203.0.113.7")];
    let mut events = vec![script.start(0.0)];
    for (i, ms) in runs_ms.iter().enumerate() {
        let mut run = script.run(1.0 + i as f64, 10, None);
        run["execution_time_ms"] = json!(ms);
        events.push(run);
    }
    events.push(script.heartbeat(seconds, seconds, active));
    events.push(script.end(seconds));
    app.clock
        .set(start + chrono::Duration::milliseconds((seconds * 1000.0) as i64));
    let response = app.post_with(&script.batch(seconds, events), &xff).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// (sessions, avg visible, avg active, avg running, avg idle, no-input sessions, share).
fn figures(f: &Value) -> (u64, Value, Value, Value, Value, u64, Value) {
    (
        f["sessions"].as_u64().unwrap(),
        f["avg_visible_seconds"].clone(),
        f["avg_active_seconds"].clone(),
        f["avg_running_seconds"].clone(),
        f["avg_idle_seconds"].clone(),
        f["no_input_sessions"].as_u64().unwrap(),
        f["no_input_share"].clone(),
    )
}

both_stores!(time_splits_into_active_running_and_idle);
async fn time_splits_into_active_running_and_idle(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    // ide on the 27th: A 600 s visible, 300 s active, runs of 30 s and 10 s; B 120 s visible,
    // no input at all; C 200 s visible, 20 s active, no runs.
    session(&app, "ide", (10, 0), 600.0, 300.0, &[30_000, 10_000]).await;
    session(&app, "ide", (11, 0), 120.0, 0.0, &[]).await;
    session(&app, "ide", (12, 0), 200.0, 20.0, &[]).await;
    // docs on the 27th: 10 s visible, 2 s active, a 20 s run (longer than it was visible).
    session(&app, "docs", (13, 0), 10.0, 2.0, &[20_000]).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();

    let answer = app.stats("time?from=2026-11-27&to=2026-11-28").await;
    let days = answer["days"].as_array().unwrap();
    assert_eq!(days.len(), 2, "gap-free");
    // ide: 920 s visible, 320 s active, 40 s running: 560 s idle. docs: 10 - 2 - 20 is clamped
    // to 0. Four sessions: 930 / 4 = 232.5, 322 / 4 = 80.5, 60 / 4 = 15, 560 / 4 = 140.
    assert_eq!(
        figures(&days[0]),
        (
            4,
            json!(232.5),
            json!(80.5),
            json!(15.0),
            json!(140.0),
            1,
            json!(0.25)
        )
    );
    assert_eq!(
        figures(&days[1]),
        (
            0,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            0,
            Value::Null
        ),
        "no sessions on the 28th"
    );
    assert_eq!(
        answer["totals"],
        days[0]
            .as_object()
            .map(|d| {
                let mut d = d.clone();
                d.remove("date");
                Value::Object(d)
            })
            .unwrap()
    );

    // One site: ide alone, (920, 320, 40, 560) / 3 with one of three without input.
    let ide = app
        .stats("time?from=2026-11-27&to=2026-11-27&site=ide")
        .await;
    assert_eq!(
        figures(&ide["days"][0]),
        (
            3,
            json!(306.7),
            json!(106.7),
            json!(13.3),
            json!(186.7),
            1,
            json!(0.3333)
        )
    );

    // A rerun writes the same rows (the day's sums are replaced, not added to).
    app.jobs.run_once().await.unwrap();
    let again = app.stats("time?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(again["days"], answer["days"]);

    // CSV: a header and one row per day.
    let csv = app.stats_csv("time?from=2026-11-27&to=2026-11-28").await;
    assert_eq!(
        csv,
        "date,sessions,avg_visible_seconds,avg_active_seconds,avg_running_seconds,\
         avg_idle_seconds,no_input_sessions,no_input_share\r\n\
         2026-11-27,4,232.5,80.5,15.0,140.0,1,0.25\r\n\
         2026-11-28,0,,,,,0,\r\n"
    );
    let refused = app.stats_refused("time?site=Bad%20Site").await;
    assert_eq!(refused["field"], "site", "{refused}");
}

both_stores!(a_day_rolled_up_without_measured_sessions_has_no_averages);
async fn a_day_rolled_up_without_measured_sessions_has_no_averages(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    // A session that sent only its start: no heartbeat, so no visible time was measured.
    let mut script = SessionScript::new();
    app.clock.set(at(27, 9, 0));
    let first = vec![script.start(0.0)];
    let response = app.post(&script.batch(0.0, first)).await;
    assert_eq!(response.status(), 200);
    let visit = Visit {
        ip: "203.0.113.1",
        start: at(27, 10, 0),
        seconds: 60,
        active: 0,
        runs: &[],
        features: &[],
    };
    app.visit(&visit).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    let answer = app.stats("time?from=2026-11-27&to=2026-11-27").await;
    let daily = app.stats("daily?from=2026-11-27&to=2026-11-27").await;
    assert_eq!(
        daily["totals"]["sessions"], 2,
        "both sessions count as sessions"
    );
    assert_eq!(
        figures(&answer["days"][0]),
        (
            1,
            json!(60.0),
            json!(0.0),
            json!(0.0),
            json!(60.0),
            1,
            json!(1.0)
        ),
        "only the measured one counts, and it had no input"
    );
}

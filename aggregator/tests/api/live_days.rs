//! How fresh today is: the stats routes read the stored summaries only, which the summary refresh
//! brings up to date (answers say as of when: `summaries_as_of`), with the numbers the full rollup
//! stores too; `serve` rolls up at start.

use serde_json::{json, Value};

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, seed_two_days, Visit, TOKEN};

const RANGE: &str = "from=2026-11-26&to=2026-11-28";

/// The figures of every daily route over [`RANGE`], without the fields that say how fresh they are.
async fn figures(app: &TestApp) -> Value {
    let mut daily = app.stats(&format!("daily?{RANGE}")).await;
    daily.as_object_mut().unwrap().remove("rolled_up_at");
    daily.as_object_mut().unwrap().remove("live_days");
    daily.as_object_mut().unwrap().remove("summaries_as_of");
    json!({
        "daily": daily,
        "features": without_as_of(app.stats(&format!("features?{RANGE}")).await),
        "clients": without_as_of(app.stats(&format!("clients?{RANGE}")).await),
    })
}

fn without_as_of(mut answer: Value) -> Value {
    answer.as_object_mut().unwrap().remove("summaries_as_of");
    answer
}

fn day_figures(daily: &Value, index: usize) -> (u64, u64, u64, u64, u64, u64, u64, u64) {
    let day = &daily["days"][index];
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

both_stores!(reads_show_the_last_refresh_until_the_next_one);
async fn reads_show_the_last_refresh_until_the_next_one(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));

    // No refresh yet: the reads never sum raw rows, so there is nothing to show.
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["summaries_as_of"], Value::Null);
    assert_eq!(daily["live_days"], json!([]), "kept, always empty");
    assert_eq!(daily["totals"]["sessions"], 0, "{daily}");

    // The refresh (what `serve` runs every `summary_refresh_secs`) stores today's figures.
    app.refresh_summaries().await;
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["summaries_as_of"], "2026-11-28T12:00:00Z");
    assert_eq!(day_figures(&daily, 0), (0, 0, 0, 0, 0, 0, 0, 0));
    // The 27th: visitors A and B, 3 sessions, runs 2+1+1 with 150+10+1000 lines and one error,
    // durations (600+300+1800)/3, active (300+100+600)/3 = 333.3, features debugger twice + share.
    assert_eq!(day_figures(&daily, 1), (2, 3, 4, 1160, 900, 333, 1, 3));
    assert_eq!(day_figures(&daily, 2), (1, 1, 0, 0, 120, 60, 0, 0));
    let features = app.stats(&format!("features?{RANGE}")).await;
    assert_eq!(
        features["features"],
        json!([{"name": "debugger", "uses": 2, "sessions": 2}, {"name": "share", "uses": 1, "sessions": 1}])
    );
    assert_eq!(features["summaries_as_of"], "2026-11-28T12:00:00Z");
    let clients = app.stats(&format!("clients?{RANGE}")).await;
    assert_eq!(clients["browsers"][0]["sessions"], 4, "{clients}");
    let refreshed = figures(&app).await;

    // A new session today: the answers stay those of the last refresh, which they say...
    app.visit(&Visit {
        ip: "203.0.113.3",
        start: at(28, 12, 30),
        seconds: 60,
        active: 60,
        runs: &[(30, 5, true)],
        features: &["share"],
    })
    .await;
    assert_eq!(figures(&app).await, refreshed, "not refreshed yet");
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["summaries_as_of"], "2026-11-28T12:00:00Z");

    // ...until the next refresh. The 28th: B and the new visitor C; durations (120+60)/2,
    // active (60+60)/2.
    app.clock.set(at(28, 13, 0));
    app.refresh_summaries().await;
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["summaries_as_of"], "2026-11-28T13:00:00Z");
    assert_eq!(day_figures(&daily, 2), (2, 2, 1, 5, 90, 60, 1, 1));
    let features = app.stats(&format!("features?{RANGE}")).await;
    assert_eq!(
        features["features"][1],
        json!({"name": "share", "uses": 2, "sessions": 2})
    );
    // The full rollup stores exactly what the refresh stored.
    let refreshed = figures(&app).await;
    app.clock.set(at(28, 14, 0));
    app.jobs.run_once().await.unwrap();
    assert_eq!(figures(&app).await, refreshed);
}

both_stores!(serve_rolls_up_as_it_starts);
async fn serve_rolls_up_as_it_starts(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    let db = app.shutdown().await;
    assert_eq!(
        db.count("daily_usage_summary").await,
        0,
        "not rolled up yet"
    );
    let app = TestApp::spawn_on(db, |c| {
        c.admin_token = Some(TOKEN.into());
        c.rollup_at_start = true;
    })
    .await;
    // The startup rollup runs in the background: wait for it (bounded), never for a time.
    let mut rolled_up = 0;
    for _ in 0..300 {
        rolled_up = app.db.count("daily_usage_summary").await;
        if rolled_up == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        rolled_up, 2,
        "the 27th and the 28th, without waiting an interval"
    );
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(day_figures(&daily, 1), (2, 3, 4, 1160, 900, 333, 1, 3));
}

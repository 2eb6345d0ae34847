//! Today without waiting: days the rollup has not seen since their sessions changed are answered
//! from the raw rows, with the same numbers the rollup then stores; `serve` rolls up at start.

use serde_json::{json, Value};

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, seed_two_days, Visit, TOKEN};

const RANGE: &str = "from=2026-11-26&to=2026-11-28";

/// The figures of every daily route over [`RANGE`], without the fields that say how fresh they are.
async fn figures(app: &TestApp) -> Value {
    let mut daily = app.stats(&format!("daily?{RANGE}")).await;
    daily.as_object_mut().unwrap().remove("rolled_up_at");
    daily.as_object_mut().unwrap().remove("live_days");
    json!({
        "daily": daily,
        "features": app.stats(&format!("features?{RANGE}")).await,
        "clients": app.stats(&format!("clients?{RANGE}")).await,
    })
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

both_stores!(days_not_rolled_up_are_answered_from_raw_rows_with_the_rollups_numbers);
async fn days_not_rolled_up_are_answered_from_raw_rows_with_the_rollups_numbers(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));

    // No rollup has run: every figure comes from the raw rows.
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["rolled_up_at"], Value::Null);
    assert_eq!(daily["live_days"], json!(["2026-11-27", "2026-11-28"]));
    assert_eq!(day_figures(&daily, 0), (0, 0, 0, 0, 0, 0, 0, 0));
    // The 27th: visitors A and B, 3 sessions, runs 2+1+1 with 150+10+1000 lines and one error,
    // durations (600+300+1800)/3, active (300+100+600)/3 = 333.3, features debugger twice + share.
    assert_eq!(day_figures(&daily, 1), (2, 3, 4, 1160, 900, 333, 1, 3));
    assert_eq!(day_figures(&daily, 2), (1, 1, 0, 0, 120, 60, 0, 0));
    assert_eq!(daily["totals"]["sessions"], 4);
    let features = app.stats(&format!("features?{RANGE}")).await;
    assert_eq!(
        features["features"],
        json!([{"name": "debugger", "uses": 2, "sessions": 2}, {"name": "share", "uses": 1, "sessions": 1}])
    );
    let clients = app.stats(&format!("clients?{RANGE}")).await;
    assert_eq!(clients["browsers"][0]["sessions"], 4, "{clients}");

    // The rollup stores exactly what was answered live.
    let live = figures(&app).await;
    app.jobs.run_once().await.unwrap();
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert!(daily["rolled_up_at"].is_string(), "{daily}");
    assert_eq!(daily["live_days"], json!([]), "nothing touched since");
    assert_eq!(figures(&app).await, live, "stored summaries == live answer");

    // A new session today: the 28th is live again, with the new figures, until the next rollup
    // stores the same ones.
    app.visit(&Visit {
        ip: "203.0.113.3",
        start: at(28, 12, 30),
        seconds: 60,
        active: 60,
        runs: &[(30, 5, true)],
        features: &["share"],
    })
    .await;
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["live_days"], json!(["2026-11-28"]));
    // The 28th: B and the new visitor C; durations (120+60)/2, active (60+60)/2.
    assert_eq!(day_figures(&daily, 2), (2, 2, 1, 5, 90, 60, 1, 1));
    let features = app.stats(&format!("features?{RANGE}")).await;
    assert_eq!(
        features["features"][1],
        json!({"name": "share", "uses": 2, "sessions": 2})
    );
    let live = figures(&app).await;
    app.clock.set(at(28, 13, 0));
    app.jobs.run_once().await.unwrap();
    let daily = app.stats(&format!("daily?{RANGE}")).await;
    assert_eq!(daily["live_days"], json!([]));
    assert_eq!(figures(&app).await, live);
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

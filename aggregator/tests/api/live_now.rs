//! `/api/v1/stats/live`: open sessions seen within two heartbeats, by site, and program runs
//! and errors in the last 5 and 30 minutes, against hand-computed counts.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::at;

/// Sends `events` in a batch at `when`, `t` seconds into the session.
async fn send(
    app: &TestApp,
    script: &SessionScript,
    when: DateTime<Utc>,
    t: f64,
    events: Vec<Value>,
) {
    app.clock.set(when);
    app.store(&script.batch(t, events)).await;
}

fn site(name: &str) -> SessionScript {
    let mut script = SessionScript::new();
    script.site = name.into();
    script
}

both_stores!(live_counts_who_is_on_each_site_and_recent_runs);
async fn live_counts_who_is_on_each_site_and_recent_runs(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    // A (ide): started 11:40, runs at 11:50 (ok) and 11:59:50 (failed), seen 11:59:50.
    let mut a = site("ide");
    let start = a.start(0.0);
    send(&app, &a, at(28, 11, 40), 0.0, vec![start]).await;
    let run = a.run(600.0, 5, None);
    send(&app, &a, at(28, 11, 50), 600.0, vec![run]).await;
    let (hb, run) = (
        a.heartbeat(1190.0, 1190.0, 100.0),
        a.run(1190.0, 5, Some("?SYNTAX ERROR")),
    );
    let last = at(28, 11, 59) + chrono::Duration::seconds(50);
    send(&app, &a, last, 1190.0, vec![hb, run]).await;
    // B (docs): started 11:59:45, no runs.
    let mut b = site("docs");
    let start = b.start(0.0);
    send(
        &app,
        &b,
        at(28, 11, 59) + chrono::Duration::seconds(45),
        0.0,
        vec![start],
    )
    .await;
    // C (ide): started 11:15, runs at 11:20 (too old) and 11:40 (ok), last seen 11:58: gone.
    let mut c = site("ide");
    let start = c.start(0.0);
    send(&app, &c, at(28, 11, 15), 0.0, vec![start]).await;
    let run = c.run(300.0, 1, None);
    send(&app, &c, at(28, 11, 20), 300.0, vec![run]).await;
    let run = c.run(1500.0, 1, None);
    send(&app, &c, at(28, 11, 40), 1500.0, vec![run]).await;
    let hb = c.heartbeat(2580.0, 2580.0, 10.0);
    send(&app, &c, at(28, 11, 58), 2580.0, vec![hb]).await;
    // D (ide): started 11:59, a failed run and its end at 11:59:55: ended, so not on the site.
    let mut d = site("ide");
    let start = d.start(0.0);
    send(&app, &d, at(28, 11, 59), 0.0, vec![start]).await;
    let (run, end) = (d.run(55.0, 1, Some("?OUT OF DATA")), d.end(55.0));
    send(
        &app,
        &d,
        at(28, 11, 59) + chrono::Duration::seconds(55),
        55.0,
        vec![run, end],
    )
    .await;

    app.clock.set(at(28, 12, 0));
    let live = app.stats("live").await;
    assert_eq!(live["heartbeat_interval_secs"], 15);
    assert_eq!(live["seen_since"], "2026-11-28T11:59:30Z");
    assert_eq!(live["sessions"], 2, "A and B: C is too old, D ended");
    // 5 minutes: A's and D's failed runs. 30 minutes: A's two, C's 11:40, D's.
    assert_eq!(live["programs_5m"], json!({"runs": 2, "errors": 2}));
    assert_eq!(live["programs_30m"], json!({"runs": 4, "errors": 2}));
    assert_eq!(
        live["sites"],
        json!([
            {"site": "ide", "sessions": 1, "programs_5m": {"runs": 2, "errors": 2},
             "programs_30m": {"runs": 4, "errors": 2}},
            {"site": "docs", "sessions": 1, "programs_5m": {"runs": 0, "errors": 0},
             "programs_30m": {"runs": 0, "errors": 0}},
        ])
    );

    // One site only.
    let docs = app.stats("live?site=docs").await;
    assert_eq!(
        (
            docs["sessions"].as_u64(),
            docs["sites"].as_array().map(Vec::len)
        ),
        (Some(1), Some(1))
    );
    assert_eq!(docs["programs_30m"], json!({"runs": 0, "errors": 0}));

    // Half an hour later nobody is left and nothing ran.
    app.clock.set(at(28, 12, 31));
    let later = app.stats("live").await;
    assert_eq!(later["sessions"], 0);
    assert_eq!(later["programs_30m"], json!({"runs": 0, "errors": 0}));
    assert_eq!(later["sites"], json!([]));
}

both_stores!(live_leaves_out_what_is_stamped_after_now);
/// Another replica's clock ahead of this one's stamps rows "in the future": the live view counts
/// only [now - window, now], so they are not counted until their time comes.
async fn live_leaves_out_what_is_stamped_after_now(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    // A: seen at 11:59:50 with a failed run then: counted.
    let mut a = site("ide");
    let (start, run) = (a.start(0.0), a.run(10.0, 3, Some("?SYNTAX ERROR")));
    let seen = at(28, 11, 59) + chrono::Duration::seconds(50);
    send(&app, &a, seen, 10.0, vec![start, run]).await;
    // B: stamped 12:03 by a clock three minutes ahead, a run and a heartbeat.
    let mut b = site("ide");
    let (start, run, hb) = (
        b.start(0.0),
        b.run(5.0, 1, None),
        b.heartbeat(5.0, 5.0, 5.0),
    );
    send(&app, &b, at(28, 12, 3), 5.0, vec![start, run, hb]).await;

    app.clock.set(at(28, 12, 0));
    let live = app.stats("live").await;
    assert_eq!(live["sessions"], 1, "B was seen after now");
    assert_eq!(live["programs_5m"], json!({"runs": 1, "errors": 1}));
    assert_eq!(live["programs_30m"], json!({"runs": 1, "errors": 1}));

    // Once its time has come, B counts.
    app.clock.set(at(28, 12, 3) + chrono::Duration::seconds(10));
    let later = app.stats("live").await;
    assert_eq!(later["sessions"], 1, "B now; A is too old");
    assert_eq!(later["programs_5m"], json!({"runs": 2, "errors": 1}));
}

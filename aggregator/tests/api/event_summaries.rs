//! The programs, errors and feature-data routes over the per-day summaries of V8: the summary
//! refresh and the rollup store the same figures, a day changed since its last refresh keeps its
//! stored figures (the reads never touch raw rows) until the next refresh, and `?site=` reads one
//! site's rows.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, TOKEN};

const RANGE: &str = "from=2026-11-26&to=2026-11-28";

/// A batch of `script`'s session at `when`: runs of (run time ms, error) and `share` uses with
/// `data`.
async fn batch(
    app: &TestApp,
    script: &mut SessionScript,
    when: DateTime<Utc>,
    t: f64,
    runs: &[(u64, Option<&str>)],
    data: &[Value],
) {
    let mut events = Vec::new();
    if t == 0.0 {
        events.push(script.start(0.0));
    }
    for (i, &(ms, error)) in runs.iter().enumerate() {
        let mut run = script.run(t + 1.0 + i as f64, 10, error);
        run["execution_time_ms"] = json!(ms);
        events.push(run);
    }
    for (i, d) in data.iter().enumerate() {
        let mut feature = script.feature(t + 20.0 + i as f64, "share");
        feature["data"] = d.clone();
        events.push(feature);
    }
    app.clock.set(when);
    app.store(&script.batch(t + 30.0, events)).await;
}

/// A new session of `site` starting at `when`, all in one batch.
async fn session(
    app: &TestApp,
    site: &str,
    when: DateTime<Utc>,
    runs: &[(u64, Option<&str>)],
    data: &[Value],
) -> SessionScript {
    let mut script = SessionScript::new();
    script.site = site.into();
    batch(app, &mut script, when, 0.0, runs, data).await;
    script
}

/// The 27th: A and B on `ide`, C on `docs`; the 28th: D on `ide`. Returns A.
async fn seed(app: &TestApp) -> SessionScript {
    let link = json!({"target": "link"});
    let syntax = |line| format!("?SYNTAX ERROR IN {line}");
    let a = session(
        app,
        "ide",
        at(27, 10, 0),
        &[(0, None), (700, Some(&syntax(120))), (3, None)],
        &[link.clone(), link.clone()],
    )
    .await;
    let file = json!({"target": "file", "lines": 10});
    let s30 = syntax(30);
    let b_runs = [(700, Some(s30.as_str())), (1500, None)];
    session(app, "ide", at(27, 11, 0), &b_runs, &[file]).await;
    let c_runs = [(90, Some("?OUT OF DATA IN 70"))];
    session(app, "docs", at(27, 12, 0), &c_runs, &[link]).await;
    session(
        app,
        "ide",
        at(28, 9, 0),
        &[(12, Some("?OUT OF DATA IN 10"))],
        &[],
    )
    .await;
    a
}

/// Every answer of the three routes over [`RANGE`], all sites and `docs`, and the one
/// `summaries_as_of` they all carry (left out of each).
async fn answers(app: &TestApp) -> Value {
    let mut out = serde_json::Map::new();
    let mut as_of = Vec::new();
    for route in ["programs", "errors", "features/share"] {
        for site in ["", "&site=docs"] {
            let key = format!("{route}{site}");
            let mut answer = app.stats(&format!("{route}?{RANGE}{site}")).await;
            as_of.push(answer.as_object_mut().unwrap().remove("summaries_as_of"));
            out.insert(key, answer);
        }
    }
    as_of.dedup();
    assert_eq!(as_of.len(), 1, "{as_of:?}");
    out.insert("summaries_as_of".into(), as_of.pop().flatten().unwrap());
    Value::Object(out)
}

/// [`answers`] without when they were refreshed.
async fn figures(app: &TestApp) -> Value {
    let mut answers = answers(app).await;
    answers.as_object_mut().unwrap().remove("summaries_as_of");
    answers
}

fn groups(errors: &Value) -> Vec<(String, u64, u64, String)> {
    errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["error"].as_str().unwrap().to_string(),
                g["runs"].as_u64().unwrap(),
                g["sessions"].as_u64().unwrap(),
                g["example"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn group(error: &str, runs: u64, sessions: u64, example: &str) -> (String, u64, u64, String) {
    (error.into(), runs, sessions, example.into())
}

both_stores!(the_summaries_answer_what_the_raw_rows_answered);
async fn the_summaries_answer_what_the_raw_rows_answered(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let mut a = seed(&app).await;
    app.clock.set(at(28, 12, 0));

    // The summary refresh (what `serve` runs every `summary_refresh_secs`). Checked by hand.
    app.refresh_summaries().await;
    let raw = answers(&app).await;
    let programs = &raw["programs"];
    // 7 runs of 10 lines; 0+700+3+700+1500+90+12 = 3005 ms.
    assert_eq!(
        (
            programs["runs"].as_u64(),
            programs["failed"].as_u64(),
            programs["succeeded"].as_u64(),
            programs["lines_executed"].as_u64()
        ),
        (Some(7), Some(4), Some(3), Some(70))
    );
    // Buckets 0 (0 ms), 1 (3), 3 (12), 6 (90), 9 (700 twice), 10 (1500): p50 is the 4th run.
    assert_eq!(
        programs["execution_ms"],
        json!({"avg": 429, "p50": 128, "p95": 1500, "max": 1500})
    );
    assert_eq!(
        programs["histogram"],
        json!([{"below_ms": 2, "runs": 1}, {"below_ms": 4, "runs": 1}, {"below_ms": 16, "runs": 1},
               {"below_ms": 128, "runs": 1}, {"below_ms": 1024, "runs": 2}, {"below_ms": 2048, "runs": 1}])
    );
    let docs = &raw["programs&site=docs"];
    assert_eq!(
        (docs["runs"].as_u64(), docs["execution_ms"]["max"].as_u64()),
        (Some(1), Some(90))
    );
    assert_eq!(raw["errors"]["failed_runs"], 4);
    assert_eq!(
        groups(&raw["errors"]),
        vec![
            group("?OUT OF DATA IN #", 2, 2, "?OUT OF DATA IN 10"),
            group("?SYNTAX ERROR IN #", 2, 2, "?SYNTAX ERROR IN 30"),
        ],
        "equal runs and sessions: by name; the latest message as the example"
    );
    assert_eq!(
        groups(&raw["errors&site=docs"]),
        vec![group("?OUT OF DATA IN #", 1, 1, "?OUT OF DATA IN 70")]
    );
    let share = &raw["features/share"];
    assert_eq!(share["events"], 4);
    assert_eq!(
        share["keys"][0],
        json!({"key": "target", "events": 4, "other_values": 0,
               "values": [{"value": "link", "events": 3}, {"value": "file", "events": 1}]})
    );
    assert_eq!(raw["features/share&site=docs"]["events"], 1);

    // The full rollup stores what the refresh stored: the same answers.
    app.jobs.run_once().await.unwrap();
    assert_eq!(
        app.db.count("daily_site_programs").await,
        3,
        "27th ide, docs; 28th ide"
    );
    assert_eq!(
        app.db.count("daily_site_errors").await,
        3,
        "27th ide, docs; 28th ide"
    );
    assert_eq!(app.db.count("daily_site_feature_data").await, 3);
    assert_eq!(
        answers(&app).await,
        raw,
        "the same figures, as of the same time"
    );

    // A session of the 27th sends a late batch: the answers stay the stored ones until the next
    // refresh recomputes the 27th.
    let late = json!({"target": "menu"});
    let runs = [(5, Some("?SYNTAX ERROR IN 200"))];
    batch(&app, &mut a, at(28, 13, 0), 40.0, &runs, &[late]).await;
    assert_eq!(answers(&app).await, raw, "not refreshed yet");
    app.refresh_summaries().await;
    let fresh = answers(&app).await;
    assert_eq!(fresh["summaries_as_of"], "2026-11-28T13:00:00Z");
    assert_eq!(fresh["programs"]["runs"], 8);
    assert_eq!(fresh["errors"]["failed_runs"], 5);
    assert_eq!(
        groups(&fresh["errors"])[0],
        group("?SYNTAX ERROR IN #", 3, 2, "?SYNTAX ERROR IN 200")
    );
    assert_eq!(fresh["features/share"]["events"], 5);
    assert_eq!(fresh["programs&site=docs"], raw["programs&site=docs"]);
    // The next rollup stores the same.
    app.clock.set(at(28, 14, 0));
    app.jobs.run_once().await.unwrap();
    let mut fresh = fresh;
    fresh.as_object_mut().unwrap().remove("summaries_as_of");
    assert_eq!(figures(&app).await, fresh);
}

/// Deletes the raw runs and events of `script`'s session: what is still counted of it comes
/// from a summary.
async fn forget_raw_rows(app: &TestApp, script: &SessionScript) {
    for table in ["program_executions", "feature_usage"] {
        app.db
            .execute(&format!(
                "DELETE FROM {table} WHERE session_id = '{}'",
                script.id
            ))
            .await;
    }
}

both_stores!(reads_never_touch_raw_rows_and_a_refresh_recomputes_the_touched_day);
async fn reads_never_touch_raw_rows_and_a_refresh_recomputes_the_touched_day(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let on_27 = session(&app, "ide", at(27, 10, 0), &[(5, Some("?A"))], &[]).await;
    let mut on_28 = session(&app, "ide", at(28, 9, 0), &[(5, Some("?B"))], &[]).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    forget_raw_rows(&app, &on_27).await;
    forget_raw_rows(&app, &on_28).await;

    // Both days from their summaries, raw rows or not.
    let errors = format!("errors?{RANGE}");
    let both = app.stats(&errors).await;
    assert_eq!(both["failed_runs"], 2, "{both}");
    assert_eq!(both["summaries_as_of"], "2026-11-28T12:00:00Z");

    // A session of the 28th is seen again (a heartbeat, no run): the reads still answer the
    // stored summaries (they never read raw rows), with the same `summaries_as_of`...
    let heartbeat = vec![on_28.heartbeat(60.0, 60.0, 30.0)];
    app.clock.set(at(28, 13, 0));
    app.store(&on_28.batch(60.0, heartbeat)).await;
    let before = app.stats(&errors).await;
    assert_eq!(before, both, "no refresh yet: the stored figures");
    // ...until the refresh recomputes the 28th from its raw rows, which no longer hold its run;
    // the 27th, untouched, keeps its summary.
    app.refresh_summaries().await;
    let after = app.stats(&errors).await;
    assert_eq!(after["failed_runs"], 1, "{after}");
    assert_eq!(after["errors"][0]["error"], "?A");
    assert_eq!(after["summaries_as_of"], "2026-11-28T13:00:00Z");
    let programs = app.stats(&format!("programs?{RANGE}")).await;
    assert_eq!(programs["runs"], 1);
    assert_eq!(programs["summaries_as_of"], "2026-11-28T13:00:00Z");
}

both_stores!(the_summary_routes_refuse_what_they_refused);
async fn the_summary_routes_refuse_what_they_refused(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    for path in [
        "programs?site=Bad%20Site",
        "errors?limit=101",
        "features/share?site=A",
    ] {
        let response = app
            .http
            .get(format!("{}/api/v1/stats/{path}", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{path}");
    }
}

//! The free text of summaries (error groups and examples, feature data) expires after
//! `summary_text_retention_days`: the purge folds an expired day's texts into `(expired)` rows
//! that keep its counts, so every total stays, and nothing a person typed is left in the database.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::helpers::{both_stores, dump_all_tables, SessionScript, StoreKind, TestApp};
use crate::reports::at;

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

/// One session of `day` (November), all in one batch: its failed runs' messages, then one
/// `share` feature event per data object.
async fn session(app: &TestApp, day: u32, errors: &[&str], data: &[Value]) {
    let mut script = SessionScript::new();
    let mut events = vec![script.start(0.0)];
    for (i, message) in errors.iter().enumerate() {
        events.push(script.run(1.0 + i as f64, 5, Some(message)));
    }
    for (i, d) in data.iter().enumerate() {
        let mut feature = script.feature(10.0 + i as f64, "share");
        feature["data"] = d.clone();
        events.push(feature);
    }
    app.clock.set(at(day, 10, 0));
    app.store(&script.batch(30.0, events)).await;
}

/// What the routes answer for one day: failed runs, the error groups (group, runs, sessions,
/// example), the feature data events and keys, and the daily errors figure.
async fn answers(app: &TestApp, day: NaiveDate) -> (Value, Value, Value, Value, Value) {
    let range = format!("from={day}&to={day}");
    let errors = app.stats(&format!("errors?{range}")).await;
    let groups: Vec<Value> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| json!([g["error"], g["runs"], g["sessions"], g["example"]]))
        .collect();
    let data = app.stats(&format!("features/share?{range}")).await;
    let daily = app.stats(&format!("daily?{range}")).await;
    (
        errors["failed_runs"].clone(),
        Value::Array(groups),
        data["events"].clone(),
        data["keys"].clone(),
        daily["totals"]["program_errors"].clone(),
    )
}

both_stores!(summary_texts_expire_into_counts_and_every_total_stays);
async fn summary_texts_expire_into_counts_and_every_total_stays(kind: StoreKind) {
    // Today is the 28th: raw rows from the 18th on, summary texts from the 8th on.
    let app = TestApp::reporting_with(kind, |c| {
        c.retention_days = 10;
        c.summary_text_retention_days = 20;
    })
    .await;
    let (old, kept) = (5, 15);
    for day in [old, kept] {
        session(
            &app,
            day,
            &["?UNDEFINED alice IN 10", "?SYNTAX ERROR IN 20"],
            &[json!({"name": "alice"}), json!({"name": "bob"})],
        )
        .await;
        session(
            &app,
            day,
            &["?SYNTAX ERROR IN 30"],
            &[json!({"name": "bob"})],
        )
        .await;
    }
    // The refresh of the 15th (both days still within retention then) stores their summaries.
    app.refresh_summaries().await;
    app.clock.set(at(28, 12, 0));
    let reports = &app.jobs.reports;
    assert_eq!(reports.first_day_with_texts(), date(8));
    // Both days are past the raw rows' retention now: their summaries are final.
    let before_old = answers(&app, date(old)).await;
    let before_kept = answers(&app, date(kept)).await;
    assert_eq!(before_old.0, 3, "{before_old:?}");
    assert_eq!(before_old.2, 3, "{before_old:?}");
    assert!(before_old.1.to_string().contains("alice"));

    let purged = reports.purge().await.unwrap();
    // Errors: two groups of one site; feature data: two texts of one feature.
    assert_eq!(purged.summary_texts, 4, "{purged:?}");
    assert_eq!(
        (purged.days_rolled_up_first, purged.sessions),
        (0, 4),
        "both days rolled up already, their raw rows deleted"
    );

    let after_old = answers(&app, date(old)).await;
    assert_eq!(after_old.0, before_old.0, "failed runs stay");
    assert_eq!(after_old.2, before_old.2, "feature data events stay");
    assert_eq!(after_old.4, before_old.4, "the daily figure stays");
    // Sessions add up over the folded groups: the session that hit both groups counts twice.
    assert_eq!(after_old.1, json!([["(expired)", 3, 3, "(expired)"]]));
    assert_eq!(
        after_old.3,
        json!([{"key": "(expired)", "events": 3, "other_values": 0,
                "values": [{"value": "(expired)", "events": 3}]}])
    );
    assert_eq!(
        answers(&app, date(kept)).await,
        before_kept,
        "a day within the text retention keeps its texts after its raw rows went"
    );
    // A range over both days adds the expired row to the kept day's groups.
    let both = app.stats("errors?from=2026-11-01&to=2026-11-28").await;
    assert_eq!(both["failed_runs"], 6);
    assert!(
        dump_all_tables(&app.db).await.contains("alice"),
        "the kept day's"
    );
    let texts_before_the_boundary = app
        .db
        .scalar::<u64>(
            "SELECT (SELECT COUNT(*) FROM daily_site_errors WHERE date < '2026-11-08' \
             AND (example <> '(expired)' OR error_group <> '(expired)')) \
             + (SELECT COUNT(*) FROM daily_site_feature_data WHERE date < '2026-11-08' \
             AND feature_data NOT LIKE '{\"(expired)\"%')",
        )
        .await;
    assert_eq!(texts_before_the_boundary, 0);

    assert!(
        reports.purge().await.unwrap().is_empty(),
        "a second purge finds nothing"
    );
    assert_eq!(answers(&app, date(old)).await, after_old);
    // Later, the kept day's texts expire too, and no name is left anywhere.
    app.clock.set(at(28, 12, 0) + chrono::Duration::days(10));
    assert_eq!(reports.purge().await.unwrap().summary_texts, 4);
    assert!(!dump_all_tables(&app.db).await.contains("alice"));
    assert_eq!(answers(&app, date(kept)).await.0, before_kept.0);
}

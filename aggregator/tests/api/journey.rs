//! `/journey` and `/funnel` (issue 25): what sessions did with programs and how far they went
//! through the funnel, from the per-(date, site) summaries the rollup pass writes (V13, V14),
//! with hand-computed figures.

use serde_json::Value;

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, Visit};

/// (address, hour it starts, seconds, runs as `Visit::runs`, features)
type Session = (
    &'static str,
    u32,
    u32,
    &'static [(u32, u64, bool)],
    &'static [&'static str],
);

/// On the 27th, on `ide`: A fails at 5 s, succeeds at 40 s (recovered) and saves at 60 s; B
/// succeeds at 10 s and fails at 20 s (no recovery); C only opens the debugger; D fails at 3 s
/// and 4 s and never succeeds. E on `docs` does nothing.
async fn seed(app: &TestApp) {
    let ide: [Session; 4] = [
        (
            "203.0.113.1",
            8,
            120,
            &[(5, 10, true), (40, 10, false)],
            &["save"],
        ),
        (
            "203.0.113.2",
            9,
            60,
            &[(10, 10, false), (20, 10, true)],
            &[],
        ),
        ("203.0.113.3", 10, 60, &[], &["debugger"]),
        ("203.0.113.4", 11, 30, &[(3, 10, true), (4, 10, true)], &[]),
    ];
    for (ip, hour, seconds, runs, features) in ide {
        let visit = Visit {
            ip,
            start: at(27, hour, 0),
            seconds,
            active: seconds / 2,
            runs,
            features,
        };
        app.visit(&visit).await;
    }
    let docs = Visit {
        ip: "203.0.113.5",
        start: at(27, 12, 0),
        seconds: 60,
        active: 30,
        runs: &[],
        features: &[],
    };
    app.visit_site("docs", &docs).await;
}

fn steps(funnel: &Value) -> Vec<(String, u64)> {
    funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["sessions"].as_u64().unwrap(),
            )
        })
        .collect()
}

both_stores!(a_recovered_session_and_the_funnel_by_hand);
async fn a_recovered_session_and_the_funnel_by_hand(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed(&app).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    let span = "from=2026-11-27&to=2026-11-28";

    let ide = app.stats(&format!("journey?{span}&site=ide")).await;
    let n = |key: &str| {
        ide[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {ide}"))
    };
    assert_eq!(
        (
            n("sessions"),
            n("sessions_with_run"),
            n("sessions_with_success"),
            n("sessions_with_failure"),
            n("recovered"),
        ),
        (4, 3, 2, 3, 1),
        "A, B, D ran; A and B succeeded; A, B, D failed; A recovered"
    );
    assert_eq!(
        (n("failed_before_success"), n("succeeded_after_failure")),
        (1, 1),
        "A's one failure before its success; D never succeeded"
    );
    assert_eq!(ide["run_share"], 0.75);
    assert_eq!(ide["recovered_share"], 0.3333);
    assert_eq!(ide["avg_failed_before_success"], 0.5);
    // First runs at 3 s (D), 5 s (A), 10 s (B): buckets [2, 4), [4, 8), [8, 16).
    assert_eq!(
        (&ide["to_first_run"]["p50"], &ide["to_first_run"]["p90"]),
        (&Value::from(8), &Value::from(16))
    );
    // First successes at 10 s (B) and 40 s (A): buckets [8, 16) and [32, 64).
    assert_eq!(
        (
            &ide["to_first_success"]["p50"],
            &ide["to_first_success"]["p90"]
        ),
        (&Value::from(16), &Value::from(64))
    );
    assert_eq!(ide["first_run_histogram"].as_array().unwrap().len(), 3);

    let all = app.stats(&format!("journey?{span}")).await;
    assert_eq!(
        (all["sessions"].as_u64(), all["run_share"].as_f64()),
        (Some(5), Some(0.6)),
        "E on docs counts among the sessions"
    );

    // opened → run → success → feature: A all four; B three; D two; C and E opened only.
    let funnel = app.stats(&format!("funnel?{span}")).await;
    let expected = [("opened", 5), ("run", 3), ("success", 2), ("feature", 1)];
    let expected: Vec<(String, u64)> = expected.iter().map(|(s, n)| (s.to_string(), *n)).collect();
    assert_eq!(steps(&funnel), expected);
    assert_eq!(funnel["sessions"], 5);
    assert_eq!(funnel["steps"][2]["share_of_previous"], 0.6667);
    let docs = app.stats(&format!("funnel?{span}&site=docs")).await;
    assert_eq!(
        steps(&docs)[..2],
        [("opened".to_string(), 1), ("run".to_string(), 0)]
    );

    // A rerun writes the same rows; compare=previous carries the empty period before.
    app.jobs.run_once().await.unwrap();
    let again = app.stats(&format!("funnel?{span}")).await;
    assert_eq!(steps(&again), expected);
    let compared = app.stats(&format!("journey?{span}&compare=previous")).await;
    assert_eq!(compared["previous"]["sessions"], 0);
    assert_eq!(compared["previous"]["run_share"], Value::Null);

    // CSV: a header and one row (journey), one row per step (funnel).
    for (route, rows) in [("journey", 1), ("funnel", 4)] {
        let csv = app.stats_csv(&format!("{route}?{span}")).await;
        assert_eq!(csv.lines().count(), 1 + rows, "{csv}");
    }
}

both_stores!(a_configured_funnel_names_features);
async fn a_configured_funnel_names_features(kind: StoreKind) {
    let app = TestApp::reporting_with(kind, |c| {
        c.funnel = vec!["run".into(), "feature:save".into()];
    })
    .await;
    seed(&app).await;
    app.clock.set(at(28, 12, 0));
    app.jobs.run_once().await.unwrap();
    // A ran, then saved; B and D ran; C opened the debugger without running anything.
    let funnel = app.stats("funnel?from=2026-11-27&to=2026-11-27").await;
    assert_eq!(
        steps(&funnel),
        [("run".to_string(), 3), ("feature:save".to_string(), 1)]
    );
    assert_eq!(funnel["steps"][1]["share_of_previous"], 0.3333);
}

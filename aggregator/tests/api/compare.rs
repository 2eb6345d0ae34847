//! `compare=previous` (issue 25): the answer also carries the same report over the period of the
//! same length that ends the day before `from`, read live and rolled up alike.

use serde_json::{json, Value};

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, seed_two_days};

/// (sessions, visitor_days, programs_run, program_errors, lines_executed) of some totals.
fn headline(totals: &Value) -> (u64, u64, u64, u64, u64) {
    let n = |key: &str| {
        totals[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {totals}"))
    };
    (
        n("sessions"),
        n("visitor_days"),
        n("programs_run"),
        n("program_errors"),
        n("lines_executed"),
    )
}

both_stores!(the_previous_period_is_the_same_report_shifted);
async fn the_previous_period_is_the_same_report_shifted(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));

    // Read after the summary refresh (what `serve` runs every minute), then after the full
    // rollup: the same figures.
    for rolled_up in [false, true] {
        if rolled_up {
            app.jobs.run_once().await.unwrap();
        } else {
            app.refresh_summaries().await;
        }
        // The 28th against the 27th: A twice and B once on the 27th (3 sessions, 2 visitors,
        // runs 2+1+1 with lines 100+50+10+1000, one failed).
        let day = app
            .stats("daily?from=2026-11-28&to=2026-11-28&compare=previous")
            .await;
        let previous = &day["previous"];
        assert_eq!(
            (previous["from"].as_str(), previous["to"].as_str()),
            (Some("2026-11-27"), Some("2026-11-27")),
            "{day}"
        );
        assert_eq!(
            headline(&previous["totals"]),
            (3, 2, 4, 1, 1160),
            "rolled up: {rolled_up}"
        );
        assert_eq!(headline(&day["totals"]), (1, 1, 0, 0, 0));
        // The same read as asking for the 27th itself.
        let alone = app.stats("daily?from=2026-11-27&to=2026-11-27").await;
        assert_eq!(previous["totals"], alone["totals"]);

        // Two days against the two before, which have no sessions: zeros, no success rate.
        let both = app
            .stats("daily?from=2026-11-27&to=2026-11-28&compare=previous")
            .await;
        assert_eq!(both["previous"]["from"], "2026-11-25");
        assert_eq!(both["previous"]["to"], "2026-11-26");
        assert_eq!(headline(&both["previous"]["totals"]), (0, 0, 0, 0, 0));
        assert_eq!(both["previous"]["totals"]["success_rate"], Value::Null);
        assert_eq!(headline(&both["totals"]), (4, 3, 4, 1, 1160));

        // Programs: the 27th's runs as the 28th's previous period.
        let programs = app
            .stats("programs?from=2026-11-28&to=2026-11-28&compare=previous")
            .await;
        assert_eq!(programs["runs"], 0);
        let before = &programs["previous"];
        assert_eq!(
            (
                &before["from"],
                &before["runs"],
                &before["succeeded"],
                &before["failed"]
            ),
            (&json!("2026-11-27"), &json!(4), &json!(3), &json!(1)),
            "{programs}"
        );

        // Features, clients and errors: the whole answer of the previous period, nested.
        let one = "from=2026-11-28&to=2026-11-28&compare=previous";
        let features = app.stats(&format!("features?{one}")).await;
        assert_eq!(features["features"], json!([]));
        assert_eq!(
            features["previous"]["features"],
            json!([{"name": "debugger", "uses": 2, "sessions": 2},
                   {"name": "share", "uses": 1, "sessions": 1}]),
            "{features}"
        );
        assert!(features["previous"].get("previous").is_none());
        let alone = app.stats("features?from=2026-11-27&to=2026-11-27").await;
        assert_eq!(features["previous"], alone);
        let errors = app.stats(&format!("errors?{one}")).await;
        assert_eq!(
            (&errors["failed_runs"], &errors["previous"]["failed_runs"]),
            (&json!(0), &json!(1))
        );
        let clients = app.stats(&format!("clients?{one}")).await;
        let sessions = |answer: &Value| -> u64 {
            answer["browsers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["sessions"].as_u64().unwrap())
                .sum::<u64>()
                + answer["other"]["browsers"].as_u64().unwrap_or(0)
        };
        assert_eq!(
            (sessions(&clients), sessions(&clients["previous"])),
            (1, 3),
            "{clients}"
        );
    }

    // Without `compare` the answers are as before: no `previous`.
    let plain = app.stats("daily?from=2026-11-28&to=2026-11-28").await;
    assert!(plain.get("previous").is_none(), "{plain}");
    let plain = app.stats("programs?from=2026-11-28&to=2026-11-28").await;
    assert!(plain.get("previous").is_none(), "{plain}");
    // Another value, or a previous period before the first day, is refused naming `compare`.
    for path in [
        "daily?compare=next",
        "programs?compare=Previous",
        "features?compare=1",
        "errors?compare=last",
        "clients?compare=none",
        "daily?from=1000-01-01&to=1000-01-03&compare=previous",
    ] {
        let body = app.stats_refused(path).await;
        assert_eq!(body["field"], "compare", "{path}: {body}");
    }
}

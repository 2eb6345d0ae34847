//! The criteria of the CNIL's consent exemption (deliberation 2020-091) that no other test file
//! already proves (docs/privacy.md maps every criterion to its test): no cross-site tracking, a
//! visitor recognised for one day at most, nothing to join with another processing's records,
//! and no way to hand the data to a third party.

use serde_json::json;

use crate::helpers::{both_stores, dump_all_tables, SessionScript, StoreKind, TestApp};
use crate::reports::at;

/// One session of `site` started at `hour` on `day` (November), from the test's one client:
/// the same address and User-Agent every time.
async fn session_on(app: &TestApp, site: &str, day: u32, hour: u32) -> String {
    let mut script = SessionScript::new();
    script.site = site.into();
    app.clock.set(at(day, hour, 0));
    let events = vec![script.start(0.0)];
    app.store(&script.batch(0.0, events)).await;
    app.db
        .scalar(&format!(
            "SELECT visitor_hash FROM ide_sessions WHERE session_id = '{}'",
            script.id
        ))
        .await
}

both_stores!(one_browser_is_two_unrelated_visitors_on_two_sites_and_on_two_days);
async fn one_browser_is_two_unrelated_visitors_on_two_sites_and_on_two_days(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    let ide = session_on(&app, "ide", 27, 9).await;
    // The same browser on the same site the same day is one visitor (what unique visitors
    // count), so the differences below come from the site and the day, not from chance.
    assert_eq!(session_on(&app, "ide", 27, 15).await, ide);
    let docs = session_on(&app, "docs", 27, 9).await;
    assert_ne!(
        docs, ide,
        "a site's visitors cannot be matched with another's"
    );
    let next_day = session_on(&app, "ide", 28, 9).await;
    assert_ne!(next_day, ide, "nor a day's with the next day's");
    app.shutdown().await;
}

both_stores!(an_account_id_sent_beside_the_events_is_never_stored);
async fn an_account_id_sent_beside_the_events_is_never_stored(kind: StoreKind) {
    // A page that tried to tie the statistics to its accounts: the fields are not the API's, so
    // nothing of them is kept, and no stored row can be joined with the page's user records.
    let app = TestApp::spawn(kind).await;
    let mut script = SessionScript::new();
    let mut start = script.start(0.0);
    start["user_id"] = json!("account-4711");
    start["email"] = json!("pupil@school.example");
    let mut batch = script.batch(1.0, vec![start]);
    batch["user"] = json!({"id": "account-4711"});
    app.store(&batch).await;
    assert_eq!(
        app.db.count("ide_sessions").await,
        1,
        "the batch was stored"
    );
    let dump = dump_all_tables(&app.db).await;
    for text in ["account-4711", "pupil@school.example"] {
        assert!(!dump.contains(text), "{text} was stored:\n{dump}");
    }
    app.shutdown().await;
}

/// Which of the aggregator's dependencies could send data elsewhere: an HTTP client, or the
/// Prometheus exporter's push to a gateway (the exporter is pulled from by the operator's own
/// Prometheus, never pushing).
#[test]
fn the_aggregator_carries_no_client_that_could_send_data_to_a_third_party() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("the aggregator's manifest");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table");
    for line in dependencies
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        let name = line.split('=').next().unwrap_or("").trim();
        assert!(
            ![
                "reqwest",
                "ureq",
                "isahc",
                "surf",
                "attohttpc",
                "curl",
                "awc"
            ]
            .contains(&name),
            "{name}: an HTTP client in the aggregator"
        );
        if name == "hyper" || name == "hyper-util" {
            assert!(!line.contains("\"client"), "{line}");
        }
        if name == "metrics-exporter-prometheus" {
            assert!(
                line.contains("default-features = false") && !line.contains("push-gateway"),
                "{line}"
            );
        }
    }
    assert!(
        dependencies.contains("metrics-exporter-prometheus"),
        "the check reads the real table"
    );
}

/// Every `.rs` file's text under `dir`.
fn sources(dir: &std::path::Path, into: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("target") && !path.ends_with("dist") {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

/// docs/privacy.md names a test for each criterion (`a_name_like_this_one`, four underscores or
/// more; settings have fewer): each must be a test that exists, so
/// the document cannot point at a test renamed or removed.
#[test]
fn every_test_docs_privacy_names_exists() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/privacy.md")).expect("docs/privacy.md");
    let mut code = String::new();
    for dir in ["aggregator", "wasm-client", "tests"] {
        sources(&root.join(dir), &mut code);
    }
    let names: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| quoted.rsplit("::").next())
        .filter(|name| {
            name.matches('_').count() >= 4
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        })
        .collect();
    assert!(names.len() >= 20, "{names:?}");
    for name in names {
        assert!(
            code.contains(&format!("fn {name}(")),
            "{name} is not a test"
        );
    }
    for criterion in 1..=7 {
        assert!(
            doc.contains(&format!("\n## {criterion}. ")),
            "criterion {criterion}"
        );
    }
}

//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 description whose every operation the router
//! answers as described, and schemathesis (PyPI, installed by `make tools`) run against the real
//! binary on both stores: no 5xx, and every answer's status, content type and body as described.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestApp, TestDb};
use crate::reports::TOKEN;

/// The operations of a description: (METHOD, path).
fn operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            ops.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

// The description does not depend on the store: SQLite only.
#[tokio::test]
async fn the_description_is_openapi_3_1_and_the_router_answers_each_operation_as_described() {
    let app = TestApp::reporting(StoreKind::Sqlite).await;
    let response = app
        .http
        .get(format!("{}/api/v1/openapi.json", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let spec: Value = response.json().await.unwrap();
    assert!(
        spec["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        spec["openapi"]
    );
    let ops = operations(&spec);
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/api/v1/events"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/api/v1/stats/daily"),
        ("GET", "/api/v1/stats/hourly"),
        ("GET", "/api/v1/stats/time"),
        ("GET", "/api/v1/stats/sessions"),
        ("GET", "/api/v1/stats/features"),
        ("GET", "/api/v1/stats/programs"),
        ("GET", "/api/v1/stats/clients"),
        ("GET", "/api/v1/stats/live"),
        ("GET", "/api/v1/stats/errors"),
        ("GET", "/api/v1/stats/features/{name}"),
        ("GET", "/api/v1/stats/journey"),
        ("GET", "/api/v1/stats/funnel"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(ops, expected, "the documented operations");

    // Every operation is served: it answers one of its documented statuses, never the static
    // files' 404 or a 405.
    for (method, path) in &ops {
        let url = format!("{}{}", app.address, path.replace("{name}", "debugger"));
        let request = match method.as_str() {
            "POST" => app
                .http
                .post(url)
                .header("content-type", "text/plain")
                .body("{}"),
            _ => app.http.get(url).bearer_auth(TOKEN),
        };
        let status = request.send().await.unwrap().status().as_u16().to_string();
        let documented = &spec["paths"][path][method.to_ascii_lowercase()]["responses"];
        assert!(
            documented.get(&status).is_some(),
            "{method} {path} answered {status}, documented: {documented}"
        );
        // `allowed_hosts` wraps every route: each may answer 421 (tests/api/leaks.rs).
        assert!(documented.get("421").is_some(), "{method} {path}: no 421");
    }
    // Stats routes say how they are protected, and the scheme is described.
    for (_, path) in ops.iter().filter(|(_, p)| p.starts_with("/api/v1/stats/")) {
        assert_eq!(
            spec["paths"][path]["get"]["security"],
            json!([{"bearer": []}]),
            "{path}"
        );
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The batch's bounds are the ingest rules' constants.
    let batch = &spec["components"]["schemas"]["WireBatch"]["properties"];
    assert_eq!(batch["events"]["maxItems"], 100);
    assert_eq!(batch["sent"]["maximum"], 7 * 24 * 3600 * 1000);
    assert_eq!(
        batch["automation"]["maxItems"],
        usage_aggregator::domain::event::MAX_AUTOMATION_SIGNALS
    );
    // `daily` says the retention in force (a field added beside the others).
    let daily = spec["components"]["schemas"]["DailyAnswer"].to_string();
    assert!(
        daily.contains(r#""required":["days","totals","live_days","retention","filtered"]"#)
            && daily.contains("#/components/schemas/RetentionInForce")
            && daily.contains("#/components/schemas/FilteredTotals"),
        "{daily}"
    );
    // `compare=previous` (issue 25): a parameter of `daily` and `programs`, and their answers'
    // optional `previous`.
    for path in [
        "/api/v1/stats/daily",
        "/api/v1/stats/programs",
        "/api/v1/stats/journey",
        "/api/v1/stats/funnel",
    ] {
        let params = spec["paths"][path]["get"]["parameters"].to_string();
        assert!(params.contains(r#""name":"compare""#), "{path}: {params}");
    }
    assert!(daily.contains("PreviousTotals"), "{daily}");
    let journey = spec["components"]["schemas"]["JourneyAnswer"].to_string();
    assert!(journey.contains("PreviousJourney"), "{journey}");
    let stats = spec["components"]["schemas"]["JourneyStats"].to_string();
    assert!(stats.contains("to_first_success"), "{stats}");
    let funnel = spec["components"]["schemas"]["FunnelAnswer"].to_string();
    assert!(funnel.contains("FunnelStep"), "{funnel}");
    let hourly = spec["components"]["schemas"]["HourlyAnswer"].to_string();
    assert!(
        hourly.contains(r#""hours""#) && hourly.contains("HourPoint"),
        "{hourly}"
    );
    let time = spec["components"]["schemas"]["TimeAnswer"].to_string();
    assert!(
        time.contains(r#""days""#) && time.contains("TimeDay") && time.contains("TimeFigures"),
        "{time}"
    );
    // Local days (issue 25): every ranged answer names the zone of its days.
    let span = &spec["components"]["schemas"]["Span"]["properties"];
    assert!(span["time_zone"].is_object(), "{span}");
    let kept = &spec["components"]["schemas"]["RetentionInForce"]["properties"];
    for field in [
        "raw_rows_days",
        "raw_rows_from",
        "summary_text_days",
        "summary_text_from",
    ] {
        assert!(kept[field].is_object(), "{field}: {kept}");
    }
    app.shutdown().await;
}

/// The schemathesis CLI of `make tools`, or None (with a message) outside CI when it is missing.
fn schemathesis() -> Option<PathBuf> {
    let cli = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tools/schemathesis-venv/bin/schemathesis"
    ));
    if cli.exists() {
        return Some(cli);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: `make tools` installs it (scripts/install-schemathesis.sh)",
        cli.display()
    );
    eprintln!(
        "SKIPPED: schemathesis is not installed ({}); run `make tools`",
        cli.display()
    );
    None
}

/// A few sessions with runs, errors and feature data, so that the reports have rows to answer.
async fn seed(address: &str) {
    let http = reqwest::Client::new();
    for i in 0..3 {
        let mut script = SessionScript::new();
        let events = vec![
            script.start(0.0),
            script.heartbeat(15.0, 15.0, 10.0),
            script.run(16.0, 40, (i == 1).then_some("?SYNTAX ERROR IN 20")),
            script.feature(17.0, "debugger"),
        ];
        let response = http
            .post(format!("{address}/api/v1/events"))
            .header("content-type", "application/json")
            .body(script.batch(18.0, events).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

both_stores!(schemathesis_finds_no_answer_that_breaks_the_description);
async fn schemathesis_finds_no_answer_that_breaks_the_description(kind: StoreKind) {
    let Some(cli) = schemathesis() else {
        return;
    };
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", url.as_str()),
        ("USAGE_ADMIN_TOKEN", TOKEN),
        // Info: BinaryApp waits for the "serving" line; requests log at debug only.
        ("USAGE_LOG", "info"),
        // Schemathesis sends hundreds of requests from one address: the rate limits would
        // answer most of them 429 (described, but not what is being tested).
        ("USAGE_RATE_LIMITS", "false"),
    ]);
    seed(&app.address).await;
    let output = Command::new(&cli)
        .args([
            "--no-color",
            "run",
            &format!("{}/api/v1/openapi.json", app.address),
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "13",
            // Every warning but `validation_mismatch`: `/hourly` answers at most 7 days, and two
            // dates drawn at random are mostly further apart (a rule between two parameters that
            // OpenAPI cannot state), so most of its requests are 422s; those are still checked
            // against the description.
            "--warnings",
            "missing_auth,missing_test_data,base_url_mismatch,missing_deserializer,\
             unused_openapi_auth,unsupported_regex,method_not_allowed",
            "--header",
            &format!("Authorization: Bearer {TOKEN}"),
        ])
        .output()
        .expect("schemathesis runs");
    let (status, log) = app.stop();
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found answers that break the description:\n{report}\naggregator log:\n{log}"
    );
    // A part of the description schemathesis cannot read (an unresolvable reference) is a
    // warning, and that part goes untested.
    assert!(
        !report.contains("WARNINGS"),
        "schemathesis warned:\n{report}"
    );
    assert!(status.success(), "the aggregator stopped cleanly:\n{log}");
    drop(db);
}

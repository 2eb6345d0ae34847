//! `usage-aggregator mcp` driven by a real MCP client: the `mcp` package from PyPI (installed by
//! `make tools` into tools/mcp-venv) runs tests/mcp/call_tools.py, which starts the server over
//! stdio, lists its tools and calls each. Data is seeded through the real ingest of a running
//! aggregator; every tool's answer must equal its stats route's for the same query, errors
//! included. A missing or wrong token, and a database this build has not migrated, are refused;
//! the store the server opens refuses writes.

use std::path::PathBuf;
use std::process::Command;

use chrono::{Duration, Utc};
use serde_json::{json, Value};
use usage_aggregator::store::{Store, Target};

use crate::helpers::{both_stores, run_command, BinaryApp, SessionScript, StoreKind, TestDb};
use crate::reports::TOKEN;

const MCP_TOKEN: &str = "mcp-token-0123456789abcdef";

/// The venv's Python of `make tools`, or None (with a message) outside CI when it is missing.
fn mcp_python() -> Option<PathBuf> {
    let python = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tools/mcp-venv/bin/python"
    ));
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: `make tools` installs it (scripts/install-mcp-client.sh)",
        python.display()
    );
    eprintln!(
        "SKIPPED: the MCP client is not installed ({}); run `make tools`",
        python.display()
    );
    None
}

/// Sessions on two sites with runs (one failing), features with data, two browsers.
async fn seed(address: &str) {
    let http = reqwest::Client::new();
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/126.0.0.0 Safari/537.36",
    ];
    for i in 0..4 {
        let mut script = SessionScript::new();
        script.site = if i == 3 { "docs" } else { "ide" }.into();
        let mut debugger = script.feature(17.0, "debugger");
        debugger["data"] = json!({"source": if i % 2 == 0 { "toolbar" } else { "menu" }});
        let events = vec![
            script.start(0.0),
            script.heartbeat(15.0, 15.0, 10.0),
            script.run(16.0, 40, (i == 1).then_some("?SYNTAX ERROR IN 20")),
            script.run(16.5, 7, None),
            debugger,
            script.feature(18.0, "save"),
        ];
        let response = http
            .post(format!("{address}/api/v1/events"))
            .header("content-type", "application/json")
            .header("user-agent", agents[i % 2])
            .body(script.batch(19.0, events).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
}

/// The route's answer, or its error body, for `path` (under /api/v1/stats).
async fn api(address: &str, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{address}/api/v1/stats{path}"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

/// An answer without the times of its asking (each process asks at its own instant) and of the
/// summaries' last refresh (one runs every second here).
fn timeless(mut answer: Value) -> Value {
    if let Some(object) = answer.as_object_mut() {
        object.remove("at");
        object.remove("seen_since");
        object.remove("summaries_as_of");
        object.remove("rolled_up_at");
        // The previous period of `compare` is a whole answer of its own for some reports.
        if let Some(previous) = object.remove("previous") {
            object.insert("previous".into(), timeless(previous));
        }
    }
    answer
}

/// Runs the client on `plan` against `mcp` on `db_url` with `env`; returns its report.
fn call_tools(python: &PathBuf, plan: &Value, env: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/mcp/call_tools.py");
    let output = Command::new(python)
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_usage-aggregator"))
        .arg(&plan_path)
        .env("MCP_SERVER_ENV", env.to_string())
        .output()
        .expect("the MCP client runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the MCP client failed:\n{stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&output.stdout)))
}

both_stores!(every_tool_answers_as_its_stats_route);
async fn every_tool_answers_as_its_stats_route(kind: StoreKind) {
    let Some(python) = mcp_python() else {
        return;
    };
    let db = TestDb::create(kind).await;
    let url = db.url();
    // A long heartbeat period keeps the seeded sessions "on now" however slow the machine.
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", url.as_str()),
        ("USAGE_ADMIN_TOKEN", TOKEN),
        ("USAGE_LOG", "info"),
        ("USAGE_HEARTBEAT_INTERVAL_SECS", "3600"),
        ("USAGE_SUMMARY_REFRESH_SECS", "1"),
    ]);
    seed(&app.address).await;
    let today = Utc::now().date_naive();
    let (from, to) = ((today - Duration::days(2)).to_string(), today.to_string());
    let span = format!("from={from}&to={to}");
    // The routes read the summaries: wait (bounded) for a refresh to hold what was seeded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while api(&app.address, &format!("/programs?{span}")).await["runs"] != 8 {
        assert!(std::time::Instant::now() < deadline, "no refresh in 30 s");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // (tool, arguments, the route's path and query for the same question)
    let questions: Vec<(&str, Value, String)> = vec![
        ("daily", json!({}), "/daily".into()),
        (
            "daily",
            json!({"from": from, "to": to, "site": "ide"}),
            format!("/daily?{span}&site=ide"),
        ),
        ("live", json!({}), "/live".into()),
        ("live", json!({"site": "docs"}), "/live?site=docs".into()),
        (
            "programs",
            json!({"from": from, "to": to}),
            format!("/programs?{span}"),
        ),
        (
            "journey",
            json!({"from": from, "to": to}),
            format!("/journey?{span}"),
        ),
        (
            "funnel",
            json!({"from": from, "to": to, "site": "ide"}),
            format!("/funnel?{span}&site=ide"),
        ),
        (
            "errors",
            json!({"from": from, "to": to}),
            format!("/errors?{span}"),
        ),
        (
            "errors",
            json!({"to": to, "limit": 1}),
            format!("/errors?to={to}&limit=1"),
        ),
        (
            "features",
            json!({"from": from, "to": to}),
            format!("/features?{span}"),
        ),
        (
            "features",
            json!({"site": "docs"}),
            "/features?site=docs".into(),
        ),
        (
            "feature_data",
            json!({"name": "debugger", "from": from, "to": to}),
            format!("/features/debugger?{span}"),
        ),
        (
            "clients",
            json!({"from": from, "to": to}),
            format!("/clients?{span}"),
        ),
        ("sessions", json!({}), "/sessions".into()),
        (
            "sessions",
            json!({"site": "ide", "limit": 2}),
            "/sessions?site=ide&limit=2".into(),
        ),
        // Refusals: the same checks, the same error body as the route's 422.
        (
            "daily",
            json!({"from": "2026-13-01"}),
            "/daily?from=2026-13-01".into(),
        ),
        (
            "sessions",
            json!({"limit": 501}),
            "/sessions?limit=501".into(),
        ),
        (
            "feature_data",
            json!({"name": "Not A Name"}),
            "/features/Not%20A%20Name".into(),
        ),
        (
            "clients",
            json!({"site": "Bad Site"}),
            "/clients?site=Bad%20Site".into(),
        ),
        (
            "hourly",
            json!({"from": to, "to": to}),
            format!("/hourly?from={to}&to={to}"),
        ),
        (
            "hourly",
            json!({"from": "2026-11-01", "to": "2026-11-30"}),
            "/hourly?from=2026-11-01&to=2026-11-30".into(),
        ),
        // Where the time goes; and `compare` as the range routes take it.
        (
            "time",
            json!({"from": from, "to": to}),
            format!("/time?{span}"),
        ),
        ("time", json!({"site": "docs"}), "/time?site=docs".into()),
        (
            "daily",
            json!({"from": from, "to": to, "compare": "previous"}),
            format!("/daily?{span}&compare=previous"),
        ),
        (
            "programs",
            json!({"from": from, "to": to, "compare": "previous"}),
            format!("/programs?{span}&compare=previous"),
        ),
        (
            "errors",
            json!({"to": to, "limit": 1, "compare": "previous"}),
            format!("/errors?to={to}&limit=1&compare=previous"),
        ),
        (
            "features",
            json!({"site": "docs", "compare": "previous"}),
            "/features?site=docs&compare=previous".into(),
        ),
        (
            "clients",
            json!({"from": from, "to": to, "compare": "previous"}),
            format!("/clients?{span}&compare=previous"),
        ),
        (
            "journey",
            json!({"from": from, "to": to, "compare": "previous"}),
            format!("/journey?{span}&compare=previous"),
        ),
        (
            "funnel",
            json!({"from": from, "to": to, "compare": "previous"}),
            format!("/funnel?{span}&compare=previous"),
        ),
        (
            "daily",
            json!({"compare": "next"}),
            "/daily?compare=next".into(),
        ),
    ];
    let plan: Vec<Value> = questions
        .iter()
        .map(|(tool, arguments, _)| json!({"tool": tool, "arguments": arguments}))
        .collect();
    let env = json!({
        "USAGE_DATABASE_URL": url,
        "USAGE_MCP_TOKEN": MCP_TOKEN,
        "USAGE_MCP_CLIENT_TOKEN": MCP_TOKEN,
        "USAGE_HEARTBEAT_INTERVAL_SECS": "3600",
        "USAGE_LOG": "warn",
    });
    let report = call_tools(&python, &json!(plan), &env);

    assert_eq!(report["server"], "usage-aggregator");
    let mut names: Vec<&str> = report["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "clients",
            "daily",
            "errors",
            "feature_data",
            "features",
            "funnel",
            "hourly",
            "journey",
            "live",
            "programs",
            "sessions",
            "time"
        ]
    );
    for tool in report["tools"].as_array().unwrap() {
        assert_eq!(tool["read_only"], true, "{tool}");
    }
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), questions.len());
    for ((tool, arguments, path), result) in questions.iter().zip(results) {
        let expected = timeless(api(&app.address, path).await);
        let failed = expected.get("error").is_some();
        assert_eq!(result["is_error"], failed, "{tool} {arguments}: {result}");
        assert_eq!(
            timeless(result["structured"].clone()),
            expected,
            "{tool} {arguments} against {path}"
        );
        assert_eq!(
            result["text"], result["structured"],
            "{tool}: the text is the same JSON"
        );
    }
    // The figures were there to compare: the seeded runs, errors and feature data. Results are
    // found by their route, so that adding a question anywhere leaves these checks as they are.
    let at = |path: &str| {
        let i = questions
            .iter()
            .position(|(_, _, p)| p == path)
            .unwrap_or_else(|| panic!("no question for {path}"));
        &results[i]["structured"]
    };
    let programs = at(&format!("/programs?{span}"));
    assert_eq!(programs["runs"], 8, "{programs}");
    assert_eq!(at(&format!("/errors?{span}"))["failed_runs"], 1);
    assert_eq!(
        at("/sessions?site=ide&limit=2")["sessions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Each seeded session sent a heartbeat: 15 s visible, 10 s active, so none without input.
    let time = &at(&format!("/time?{span}"))["totals"];
    assert_eq!(
        (&time["sessions"], &time["no_input_sessions"]),
        (&json!(4), &json!(0)),
        "{time}"
    );
    for (_, arguments, path) in &questions {
        if arguments["compare"] == "previous" {
            let previous = &at(path)["previous"];
            assert!(previous.is_object(), "{path}: {previous}");
        }
    }
    assert_eq!(at("/daily?compare=next")["field"], "compare");
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
}

both_stores!(a_missing_or_wrong_token_is_refused);
async fn a_missing_or_wrong_token_is_refused(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    assert!(run_command(&db, &["migrate"], &[]).0);
    let configured = [("USAGE_MCP_TOKEN", MCP_TOKEN)];
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("USAGE_MCP_CLIENT_TOKEN", MCP_TOKEN)],
            "the MCP server is disabled",
        ),
        (&configured, "no token presented"),
        (
            &[
                configured[0],
                ("USAGE_MCP_CLIENT_TOKEN", "mcp-token-0123456789abcdeX"),
            ],
            "wrong token",
        ),
        (
            &[configured[0], ("USAGE_MCP_CLIENT_TOKEN", TOKEN)],
            "wrong token",
        ),
    ];
    for (env, reason) in cases {
        let (ok, output) = run_command(&db, &["mcp"], env);
        assert!(!ok && output.contains(reason), "{env:?}: {output}");
        assert!(
            !output.contains(MCP_TOKEN) && !output.contains(TOKEN),
            "no token is shown: {output}"
        );
    }
    // Either configured token admits: the server gets as far as serving (its stdin is closed at
    // once, so the session ends there, before any client initialized it).
    for env in [
        [
            configured[0],
            ("USAGE_MCP_CLIENT_TOKEN", MCP_TOKEN),
            ("USAGE_LOG", "info"),
        ],
        [
            ("USAGE_ADMIN_TOKEN", TOKEN),
            ("USAGE_MCP_CLIENT_TOKEN", TOKEN),
            ("USAGE_LOG", "info"),
        ],
    ] {
        let (_, output) = run_command(&db, &["mcp"], &env);
        assert!(
            output.contains("MCP server: serving on stdio"),
            "{env:?}: {output}"
        );
    }
}

both_stores!(the_server_never_migrates_and_its_store_refuses_writes);
async fn the_server_never_migrates_and_its_store_refuses_writes(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let env = [
        ("USAGE_MCP_TOKEN", MCP_TOKEN),
        ("USAGE_MCP_CLIENT_TOKEN", MCP_TOKEN),
    ];
    let (ok, output) = run_command(&db, &["mcp"], &env);
    assert!(
        !ok && output.contains("usage-aggregator migrate"),
        "{output}"
    );
    match kind {
        StoreKind::Sqlite => assert!(!db.sqlite_path().exists(), "no file was created"),
        StoreKind::MySql => assert!(
            db.rows("SHOW TABLES").await.is_empty(),
            "no table was created"
        ),
    }
    assert!(run_command(&db, &["migrate"], &[]).0);
    let target = Target {
        url: Some(db.url()),
        ssl_ca: None,
    };
    let store = Store::open_read_only(&target)
        .await
        .expect("a migrated database opens");
    let day = Utc::now().date_naive();
    assert!(store.existing_salt(day).await.is_ok(), "it reads");
    let refused = store.ensure_salt(day, &[7; 32]).await;
    assert!(refused.is_err(), "a write is refused: {refused:?}");
    store.disconnect().await;
    assert_eq!(db.count("visitor_salts").await, 0);
}

//! The integration guide's NiceGUI example (tests/nicegui/app.py: the tag added and runs
//! reported server-side with the Python package, clients/python) served by real NiceGUI on its
//! own origin, driven in headless Chromium against the real aggregator binary: the runs the server
//! reports are stored once, under the tab's session, which carries the browser's visitor
//! identity; runs reported while the aggregator is down arrive once it is back, and a run that
//! ends after its tab closed is still reported. NiceGUI comes from scripts/install-nicegui.sh.

use std::process::Stdio;
use std::time::Duration;

use fantoccini::Locator;
use tokio::process::Command;
use usage_e2e::binary::AggregatorProcess;
use usage_e2e::browser::Browser;
use usage_e2e::ide::{open_ide, wait_for, HEARTBEAT_MS};
use usage_e2e::stack::{repo_root, StoreKind, TestDb};

async fn click_button(browser: &Browser, text: &str) {
    let xpath = format!("//button[normalize-space(.)='{text}']");
    browser
        .client
        .wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits until the example's status label reads `text`.
async fn wait_for_status(browser: &Browser, text: &str) {
    let xpath = format!("//*[normalize-space(text())='{text}']");
    browser
        .client
        .wait()
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_nicegui_example_reports_runs_server_side_under_the_tabs_session() {
    let python = repo_root().join("target/nicegui-venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/install-nicegui.sh (make tools) first"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origin = format!("http://127.0.0.1:{port}");
    let db = TestDb::create(StoreKind::MySql).await;
    // The release binary, configured as a deployment is (environment), stopped by SIGTERM.
    let mut aggregator =
        AggregatorProcess::start(&db, &[("USAGE_ALLOWED_ORIGINS", origin.as_str())]).await;
    let storage = tempfile::tempdir().unwrap();
    let mut app = Command::new(&python)
        .arg(repo_root().join("tests/nicegui/app.py"))
        .current_dir(storage.path())
        // The package from this checkout, as `pip install clients/python` would provide it.
        .env("PYTHONPATH", repo_root().join("clients/python/src"))
        .env("USAGE_HOST", aggregator.url())
        .env("PORT", port.to_string())
        .env("USAGE_HEARTBEAT_MS", HEARTBEAT_MS.to_string())
        .env("USAGE_AUTOMATION", "allow")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    wait_for("NiceGUI to listen", Duration::from_secs(60), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
    })
    .await;
    let browser = Browser::launch().await;
    let session = open_ide(&browser, &origin).await;
    let runs_of_tab = format!("program_executions WHERE session_id = '{session}'");
    let runs_of_tab = runs_of_tab.as_str();
    click_button(&browser, "Run").await;
    click_button(&browser, "Run broken").await;
    click_button(&browser, "Debug").await;
    wait_for("the first runs", Duration::from_secs(30), || async {
        db.count(runs_of_tab).await == 2
    })
    .await;

    // Down for a while: the package keeps the runs and retries until the aggregator is back.
    aggregator.stop().await;
    click_button(&browser, "Run").await;
    wait_for_status(&browser, "idle").await;
    click_button(&browser, "Run broken").await;
    wait_for_status(&browser, "idle").await;
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    aggregator.restart().await;
    wait_for(
        "the runs of the outage",
        Duration::from_secs(90),
        || async { db.count(runs_of_tab).await == 4 },
    )
    .await;

    // A run that ends after its tab has gone is reported where it ends: on the server.
    click_button(&browser, "Run slow").await;
    wait_for_status(&browser, "running").await;
    browser.client.goto("about:blank").await.unwrap();
    wait_for(
        "the run that ended after the tab",
        Duration::from_secs(30),
        || async { db.count(runs_of_tab).await == 5 },
    )
    .await;
    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the session to end", Duration::from_secs(30), || async {
        db.count(&ended).await == 1
    })
    .await;

    assert_eq!(
        db.count("ide_sessions").await,
        1,
        "the server made no session"
    );
    assert_eq!(
        db.count("program_executions").await,
        5,
        "each run stored once"
    );
    assert_eq!(
        db.count("program_executions WHERE success = 0 AND error_message = '?SYNTAX ERROR IN 2'")
            .await,
        4,
        "every run after the first is of the broken program"
    );
    assert_eq!(
        db.count(&format!(
            "feature_usage WHERE feature_name = 'debugger' AND session_id = '{session}'"
        ))
        .await,
        1
    );
    let (runs, errors, visitor, device, agent, ip): (
        u32,
        u32,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = mysql_async::from_row(
        db.rows(
            "SELECT programs_run, errors_encountered, visitor_hash, device, user_agent, ip_address \
             FROM ide_sessions",
        )
        .await
        .remove(0),
    );
    assert_eq!((runs, errors), (5, 4));
    assert_eq!(visitor.map(|v| v.len()), Some(32), "the browser's visitor");
    assert_eq!(device.as_deref(), Some("desktop"));
    let agent = agent.unwrap_or_default();
    assert!(agent.contains("Chrom"), "the browser's agent: {agent}");
    assert_eq!(ip, None, "hash mode keeps no address");
    browser.close().await;
    let _ = app.kill().await;
    aggregator.stop().await;
}

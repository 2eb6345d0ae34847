//! The integration guide's NiceGUI example (tests/nicegui/app.py: the tag added with
//! `ui.add_head_html`, runs and features reported with `ui.run_javascript`) served by real NiceGUI
//! on its own origin, driven in headless Chromium against the real aggregator: its runs, features
//! and session duration are stored. NiceGUI comes from scripts/install-nicegui.sh.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use tokio::process::Command;
use usage_e2e::browser::Browser;
use usage_e2e::ide::{open_ide, wait_for, HEARTBEAT_MS};
use usage_e2e::stack::{repo_root, Aggregator, StoreKind, TestDb};

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

#[tokio::test]
async fn the_nicegui_example_reports_runs_features_and_the_session() {
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
    let allowed = origin.clone();
    let mut aggregator = Aggregator::start(&db, move |c| c.allowed_origins = vec![allowed]).await;
    let storage = tempfile::tempdir().unwrap();
    let mut app = Command::new(&python)
        .arg(repo_root().join("tests/nicegui/app.py"))
        .current_dir(storage.path())
        .env("USAGE_HOST", aggregator.url())
        .env("PORT", port.to_string())
        .env(
            "USAGE_TAG_EXTRA",
            format!(r#"data-heartbeat-interval="{HEARTBEAT_MS}""#),
        )
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
    let opened = Instant::now();
    let session = open_ide(&browser, &origin).await;
    click_button(&browser, "Run").await;
    click_button(&browser, "Run broken").await;
    click_button(&browser, "Debug").await;
    tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;
    browser.client.goto("about:blank").await.unwrap();
    let open_for = opened.elapsed().as_secs_f64();

    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the session to end", Duration::from_secs(15), || async {
        db.count(&ended).await == 1
    })
    .await;
    let (wall, runs, errors): (u64, u32, u32) = mysql_async::from_row(
        db.rows("SELECT duration_seconds, programs_run, errors_encountered FROM ide_sessions")
            .await
            .remove(0),
    );
    assert_eq!((runs, errors), (2, 1));
    assert_eq!(
        db.count("program_executions WHERE success = 0 AND error_message = '?SYNTAX ERROR IN 2'")
            .await,
        1
    );
    assert_eq!(
        db.count("feature_usage WHERE feature_name = 'debugger'")
            .await,
        1
    );
    assert!(
        (wall as f64 - open_for).abs() <= HEARTBEAT_MS as f64 / 1000.0 + 1.0,
        "wall {wall} s, page open {open_for:.1} s"
    );
    browser.close().await;
    let _ = app.kill().await;
    aggregator.stop().await;
}

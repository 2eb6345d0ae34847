//! The two ways a tab used to lose what it measured, in real Chromium against the real
//! aggregator: a browser killed outright (no pagehide, no beacon), and a tab closed while the
//! client was still waiting out its backoff after an outage.

use std::time::{Duration, Instant};

use usage_e2e::browser::Browser;
use usage_e2e::ide::{click, demo_site, open_ide, wait_for, HEARTBEAT_MS};
use usage_e2e::stack::{Aggregator, StoreKind, TestDb};

#[tokio::test]
async fn a_killed_browser_loses_at_most_one_heartbeat() {
    let db = TestDb::create(StoreKind::MySql).await;
    let site = demo_site("");
    let dir = site.path().to_path_buf();
    // A short idle timeout and sweep, so the session the kill left open is ended in the test.
    let mut aggregator = Aggregator::start(&db, move |c| {
        c.static_dir = dir;
        c.idle_timeout_secs = 4;
        c.maintenance_interval_secs = 1;
    })
    .await;
    let mut browser = Browser::launch_own().await;
    let opened = Instant::now();
    let session = open_ide(&browser, &aggregator.url()).await;
    // The client's clock starts somewhere between these two instants: a slow page load on a busy
    // machine widens the gap, so the lower bound counts from the page being up, the upper from
    // before it was asked for.
    let loaded = Instant::now();
    click(&browser, "run").await;
    // Longer than the old flush interval plus a heartbeat, and off the heartbeat's phase.
    tokio::time::sleep(Duration::from_millis(4 * HEARTBEAT_MS + 900)).await;
    let truth = opened.elapsed().as_secs_f64();
    let since_loaded = loaded.elapsed().as_secs_f64();
    browser.kill().await;

    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for(
        "the idle sweep to end the session",
        Duration::from_secs(30),
        || async { db.count(&ended).await == 1 },
    )
    .await;
    let (wall, runs): (u64, u32) = mysql_async::from_row(
        db.rows("SELECT duration_seconds, programs_run FROM ide_sessions")
            .await
            .remove(0),
    );
    eprintln!(
        "page open {truth:.1} s ({since_loaded:.1} s since loaded) until the kill; stored wall {wall} s"
    );
    let beat = HEARTBEAT_MS as f64 / 1000.0;
    // Whole seconds are stored: a second of slack.
    assert!(
        wall as f64 >= since_loaded - beat - 1.0,
        "lost more than a heartbeat: wall {wall} s, open {since_loaded:.1} s since loaded"
    );
    assert!(
        wall as f64 <= truth + 1.0,
        "wall {wall} s, open {truth:.1} s"
    );
    assert_eq!(runs, 1, "the run went with a heartbeat");
    assert_eq!(db.count("program_executions").await, 1);
    browser.close().await;
    aggregator.stop().await;
}

#[tokio::test]
async fn a_tab_closed_during_backoff_sends_everything_by_beacon_once() {
    let db = TestDb::create(StoreKind::MySql).await;
    // Retries 20 to 40 s apart: far longer than the test waits after the outage.
    let site = demo_site(r#"data-retry-base="40000" data-retry-max="40000""#);
    let dir = site.path().to_path_buf();
    let mut aggregator = Aggregator::start(&db, move |c| c.static_dir = dir).await;
    let browser = Browser::launch().await;
    let ide = browser.client.window().await.unwrap();
    let session = open_ide(&browser, &aggregator.url()).await;
    click(&browser, "run").await;
    wait_for("the first run", Duration::from_secs(15), || async {
        db.count("program_executions").await == 1
    })
    .await;

    aggregator.stop().await;
    click(&browser, "run").await;
    click(&browser, "save").await;
    // A heartbeat's fetch fails: the client now waits 20 to 40 s before it tries again.
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    let failed = browser
        .eval("return Object.keys(localStorage).filter(k => k.startsWith('usage-q:')).length")
        .await;
    assert_eq!(failed.as_u64(), Some(1), "the events wait in localStorage");
    aggregator.restart().await;
    click(&browser, "run").await;
    assert_eq!(db.count("program_executions").await, 1, "still backing off");

    // Close the tab (another keeps the browser open): pagehide, and its beacon.
    let other = browser.client.new_window(true).await.unwrap();
    browser.client.switch_to_window(ide).await.unwrap();
    browser.client.close_window().await.unwrap();
    browser.client.switch_to_window(other.handle).await.unwrap();
    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the beacon at close", Duration::from_secs(15), || async {
        db.count(&ended).await == 1
    })
    .await;
    assert_eq!(db.count("program_executions").await, 3, "every run");
    assert_eq!(
        db.count("(SELECT DISTINCT event_id FROM program_executions) ids")
            .await,
        3,
        "none twice"
    );
    assert_eq!(
        db.count("feature_usage WHERE feature_name = 'save'").await,
        1
    );
    let runs: u32 = db.scalar("SELECT programs_run FROM ide_sessions").await;
    assert_eq!(runs, 3);
    browser.close().await;
    aggregator.stop().await;
}

//! The filter of automated traffic in a real browser: these tests drive Chromium through
//! WebDriver, so `navigator.webdriver` is true. Without `data-automation="allow"` on the tag
//! (which every other end-to-end test sets), the session is filtered: counted per day and site
//! as `automation`, nothing of it stored.

use std::time::Duration;

use usage_e2e::browser::Browser;
use usage_e2e::ide::{click, demo_site, open_ide, start, wait_for, HEARTBEAT_MS};
use usage_e2e::stack::{StoreKind, TestDb};

#[tokio::test]
async fn a_webdriver_session_is_filtered_and_counted_not_stored() {
    let db = TestDb::create(StoreKind::Sqlite).await;
    // Any value but "allow" leaves the tracker reading the signals, as a tag without it does.
    let site = demo_site(r#"data-automation="report""#);
    let mut aggregator = start(&db, site.path()).await;
    let browser = Browser::launch().await;
    open_ide(&browser, &aggregator.url()).await;
    click(&browser, "run").await;
    let counted = "daily_site_filtered WHERE site_id = 'ide' AND reason = 'automation' \
                   AND sessions = 1";
    wait_for(
        "the filtered session's count",
        Duration::from_secs(20),
        || async { db.count(counted).await == 1 },
    )
    .await;
    // Later batches (heartbeats, the run) are answered 202 too, and neither stored nor counted.
    tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;
    browser.client.goto("about:blank").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(db.count(counted).await, 1, "counted once");
    for table in ["ide_sessions", "program_executions", "feature_usage"] {
        assert_eq!(db.count(table).await, 0, "{table}");
    }
    browser.close().await;
    aggregator.stop().await;
}

//! The demo IDE page (`www/`) as the end-to-end tests drive it: a copy with a fast heartbeat,
//! the aggregator serving it, and the few interactions the tests use.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;

use crate::browser::Browser;
use crate::stack::{repo_root, Aggregator, TestDb};

/// Heartbeat interval of the page under test, in ms (15 s in production: too slow for a test).
pub const HEARTBEAT_MS: u64 = 2000;

/// A copy of `www/` whose tracker tag beats every 2 s, retries quickly and allows automation
/// (`data-automation="allow"`: these tests drive Chromium through WebDriver, so
/// `navigator.webdriver` is true and the aggregator would filter every session, as it must);
/// `extra` adds attributes (placed first, so they win over the page's own: HTML keeps an
/// attribute's first), e.g. `data-automation="report"` to see the filter at work.
pub fn demo_site(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let www = repo_root().join("www");
    for entry in std::fs::read_dir(&www).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let page = dir.path().join("index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let tag = r#"data-site="ide""#;
    assert!(
        html.contains(tag),
        "the demo page loads the tracker with one tag"
    );
    let retry = if extra.contains("data-retry") {
        ""
    } else {
        r#"data-retry-base="300" data-retry-max="1500""#
    };
    let allow = if extra.contains("data-automation") {
        ""
    } else {
        r#"data-automation="allow""#
    };
    let fast = format!(r#"{tag} data-heartbeat-interval="{HEARTBEAT_MS}" {retry} {allow} {extra}"#);
    std::fs::write(&page, html.replacen(tag, &fast, 1)).unwrap();
    dir
}

pub async fn start(db: &TestDb, site: &Path) -> Aggregator {
    let site = site.to_path_buf();
    Aggregator::start(db, move |c| c.static_dir = site).await
}

pub async fn wait_for<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn open_ide(browser: &Browser, url: &str) -> String {
    browser.client.goto(url).await.unwrap();
    let mut session = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while session.is_empty() {
        assert!(Instant::now() < deadline, "the tracker did not start");
        session = browser
            .eval("return (window.usage && window.usage.sessionId) || ''")
            .await
            .as_str()
            .unwrap_or("")
            .to_string();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    session
}

pub async fn click(browser: &Browser, id: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

pub async fn type_program(browser: &Browser, text: &str) {
    let editor = browser.client.find(Locator::Id("editor")).await.unwrap();
    editor.clear().await.unwrap();
    editor.send_keys(text).await.unwrap();
}

//! The pre-load stub of docs/integration.md, taken from the guide as it stands: calls a page makes
//! before `usage.js` has run are recorded by the stub, adopted by the loader and stored.

use std::time::Duration;

use usage_e2e::browser::Browser;
use usage_e2e::ide::{demo_site, open_ide, start, wait_for};
use usage_e2e::stack::{repo_root, StoreKind, TestDb};

/// The body of the stub's `<script>` block in the integration guide.
fn stub_from_the_guide() -> String {
    let guide = std::fs::read_to_string(repo_root().join("docs/integration.md")).unwrap();
    let at = guide
        .find("window.usage = window.usage || { q: [")
        .expect("the guide shows the stub");
    let open = guide[..at].rfind("<script>").unwrap() + "<script>".len();
    let close = at + guide[at..].find("</script>").unwrap();
    guide[open..close].to_string()
}

#[tokio::test]
async fn calls_before_the_loader_are_kept_by_the_stub() {
    let db = TestDb::create(StoreKind::Sqlite).await;
    let site = demo_site("");
    // The aggregator's Content-Security-Policy forbids inline scripts on the pages it serves, so
    // the guide's snippet and the early calls run as classic external scripts: the same code, run
    // in the same order (each before the parser goes on), as inline blocks on an integrator's page.
    std::fs::write(site.path().join("stub.js"), stub_from_the_guide()).unwrap();
    std::fs::write(
        site.path().join("early.js"),
        "usage.feature(\"early\", { step: 1 });\n\
         usage.programRun({ programLines: 2, executionTimeMs: 1, linesExecuted: 2, error: \"?EARLY\" });\n",
    )
    .unwrap();
    let page = "<!doctype html><html><head><script src=\"/stub.js\"></script>\n\
        <script src=\"/early.js\"></script>\n<script type=\"module\" src=\"/usage/usage.js\" \
        data-site=\"ide\" data-heartbeat-interval=\"1000\" data-automation=\"allow\"></script></head><body>stub</body></html>";
    std::fs::write(site.path().join("stub.html"), page).unwrap();
    let mut aggregator = start(&db, site.path()).await;
    let browser = Browser::launch().await;
    open_ide(&browser, &format!("{}/stub.html", aggregator.url())).await;
    wait_for(
        "the calls made before the loader",
        Duration::from_secs(20),
        || async {
            db.count("feature_usage WHERE feature_name = 'early'").await == 1
                && db
                    .count("program_executions WHERE error_message = '?EARLY'")
                    .await
                    == 1
        },
    )
    .await;
    assert_eq!(db.count("ide_sessions").await, 1);
    browser.close().await;
    aggregator.stop().await;
}

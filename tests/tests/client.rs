//! The demo IDE page in real headless Chromium, served by the real aggregator on a real database:
//! what the page really did ends up in the database, once.

use std::time::{Duration, Instant};

use usage_e2e::browser::Browser;
use usage_e2e::ide::{click, demo_site, open_ide, start, type_program, wait_for, HEARTBEAT_MS};
use usage_e2e::stack::{StoreKind, TestDb};

// The main scenario on both stores: SQLite is what `make run` uses, MariaDB what deployments do.
#[tokio::test]
async fn a_real_visit_is_measured_as_it_happened_on_mysql() {
    a_real_visit_is_measured_as_it_happened(StoreKind::MySql).await;
}

#[tokio::test]
async fn a_real_visit_is_measured_as_it_happened_on_sqlite() {
    a_real_visit_is_measured_as_it_happened(StoreKind::Sqlite).await;
}

async fn a_real_visit_is_measured_as_it_happened(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let site = demo_site("");
    let mut aggregator = start(&db, site.path()).await;
    let browser = Browser::launch().await;

    let opened = Instant::now();
    let session = open_ide(&browser, &aggregator.url()).await;
    // The page's own sample program: the first thing a newcomer runs prints its answer.
    click(&browser, "run").await;
    let output = browser
        .eval("return document.getElementById('output').textContent")
        .await;
    assert!(
        output.as_str().unwrap_or("").contains("THE ANSWER IS 42"),
        "the sample program prints its answer: {output}"
    );
    type_program(&browser, "10 PRINT \"HI\"\n20 ERROR\n30 END").await;
    click(&browser, "run").await;
    click(&browser, "debug").await;
    tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;
    browser.set_window_minimized(true).await;
    let hidden = Duration::from_secs(6);
    tokio::time::sleep(hidden).await;
    browser.set_window_minimized(false).await;
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    browser.client.goto("about:blank").await.unwrap(); // pagehide: the end goes out by beacon
    let open_for = opened.elapsed();

    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the session to end", Duration::from_secs(15), || async {
        db.count(&ended).await == 1
    })
    .await;
    assert_eq!(db.count("ide_sessions").await, 1);
    let row = db.rows("SELECT duration_seconds, active_seconds, visible_ms, programs_run, errors_encountered FROM ide_sessions").await.remove(0);
    let (wall, active, visible_ms, runs, errors): (u64, u64, u64, u32, u32) =
        mysql_async::from_row(row);
    let real = open_for.as_secs_f64();
    eprintln!(
        "page open {real:.1} s; stored wall {wall} s, active {active} s, visible {visible_ms} ms"
    );
    assert!(
        (wall as f64 - real).abs() <= HEARTBEAT_MS as f64 / 1000.0 + 1.0,
        "wall {wall} s, page open {real:.1} s"
    );
    assert!(active <= wall, "active {active} s within wall {wall} s");
    assert!(active >= 1, "typing and clicking count as activity");
    let hidden_s = hidden.as_secs_f64();
    assert!(
        (visible_ms as f64 / 1000.0) <= real - hidden_s + 2.0,
        "hidden time is not visible time: visible {visible_ms} ms, open {real:.1} s"
    );
    assert_eq!((runs, errors), (2, 1));
    assert_eq!(db.count("program_executions").await, 2);
    assert_eq!(
        db.count(
            "program_executions WHERE success = 0 AND error_message LIKE '?SYNTAX ERROR IN 20%'"
        )
        .await,
        1
    );
    assert_eq!(
        db.count("feature_usage WHERE feature_name = 'debugger'")
            .await,
        1
    );
    let dump = db.dump().await;
    assert!(
        !dump.contains("127.0.0.1"),
        "the client IP is stored nowhere"
    );

    browser.close().await;
    aggregator.stop().await;
}

#[tokio::test]
async fn events_sent_while_the_aggregator_is_down_arrive_once_it_is_back() {
    let db = TestDb::create(StoreKind::MySql).await;
    let site = demo_site("");
    let mut aggregator = start(&db, site.path()).await;
    let browser = Browser::launch().await;
    let session = open_ide(&browser, &aggregator.url()).await;
    for _ in 0..2 {
        click(&browser, "run").await;
    }
    wait_for("the first runs", Duration::from_secs(15), || async {
        db.count("program_executions").await == 2
    })
    .await;

    aggregator.stop().await;
    for _ in 0..2 {
        click(&browser, "run").await;
    }
    click(&browser, "save").await;
    tokio::time::sleep(Duration::from_millis(2 * HEARTBEAT_MS)).await;
    aggregator.restart().await;
    click(&browser, "run").await;

    let all_runs = || async {
        db.count("program_executions").await == 5 && db.count("feature_usage").await == 1
    };
    wait_for(
        "every event after the restart",
        Duration::from_secs(30),
        all_runs,
    )
    .await;
    browser.client.goto("about:blank").await.unwrap();
    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the session to end", Duration::from_secs(15), || async {
        db.count(&ended).await == 1
    })
    .await;
    assert_eq!(db.count("program_executions").await, 5, "none twice");
    assert_eq!(
        db.count("(SELECT DISTINCT event_id FROM program_executions) ids")
            .await,
        5
    );
    assert_eq!(db.count("ide_sessions").await, 1);
    let runs: u32 = db.scalar("SELECT programs_run FROM ide_sessions").await;
    assert_eq!(runs, 5);

    browser.close().await;
    aggregator.stop().await;
}

/// A page that scrolls itself (as the real IDE's textarea does once its layout settles) is not a
/// person: a visit with no input at all stores visible time and no active time.
#[tokio::test]
async fn a_page_that_scrolls_itself_records_no_active_time() {
    let db = TestDb::create(StoreKind::Sqlite).await;
    let site = demo_site("");
    let page = site.path().join("index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Trusted scroll events on the window and on the editor, from the page itself, for a while.
    // (a file of its own: the aggregator's Content-Security-Policy refuses inline scripts)
    let scroller = r#"
      window.trustedScrolls = 0;
      addEventListener("scroll", (e) => { if (e.isTrusted) window.trustedScrolls++; }, true);
      addEventListener("load", () => {
        document.body.style.minHeight = "5000px";
        const editor = document.getElementById("editor");
        editor.value = "10 REM\n".repeat(500);
        let n = 0;
        const t = setInterval(() => {
          n++;
          scrollTo(0, (n % 2) * 400);
          editor.scrollTop = (n % 2) * 300;
          if (n === 20) clearInterval(t);
        }, 200);
      });
    "#;
    std::fs::write(site.path().join("scroller.js"), scroller).unwrap();
    let tag = r#"<script src="scroller.js"></script></body>"#;
    std::fs::write(&page, html.replacen("</body>", tag, 1)).unwrap();
    let mut aggregator = start(&db, site.path()).await;
    let browser = Browser::launch().await;

    let session = open_ide(&browser, &aggregator.url()).await;
    tokio::time::sleep(Duration::from_millis(3 * HEARTBEAT_MS)).await;
    let scrolled = browser.eval("return window.trustedScrolls").await;
    assert!(
        scrolled.as_u64().unwrap_or(0) > 0,
        "the page fired trusted scroll events: {scrolled}"
    );
    browser.client.goto("about:blank").await.unwrap();
    let ended = format!("ide_sessions WHERE session_id = '{session}' AND end_time IS NOT NULL");
    wait_for("the session to end", Duration::from_secs(15), || async {
        db.count(&ended).await == 1
    })
    .await;
    let row = db
        .rows("SELECT active_seconds, visible_ms FROM ide_sessions")
        .await
        .remove(0);
    let (active, visible_ms): (u64, u64) = mysql_async::from_row(row);
    eprintln!("trusted scrolls {scrolled}; stored active {active} s, visible {visible_ms} ms");
    assert!(
        visible_ms >= HEARTBEAT_MS,
        "the visit was visible: {visible_ms} ms"
    );
    assert_eq!(active, 0, "a page scrolling itself is not a person");

    browser.close().await;
    aggregator.stop().await;
}

//! The dashboard's accessibility in real headless Chromium: axe-core (npm, `make tools`) run on
//! the sign-in form and on the filled dashboard (feature drill-down open), on a phone viewport and
//! a desktop one, and on the range of today alone (its hourly chart), finds no violation of impact
//! "serious" or "critical"; every chart has an accessible name and a data table with the numbers
//! it draws.

use fantoccini::Locator;
use serde_json::json;
use usage_e2e::axe::serious_violations;
use usage_e2e::browser::Browser;
use usage_e2e::dashboard::{roll_up, seed, sign_in, wait_for_state, wait_until, TOKEN};
use usage_e2e::stack::{Aggregator, StoreKind, TestDb};

const VIEWPORTS: [(&str, u32, u32, bool); 2] =
    [("phone", 390, 844, true), ("desktop", 1280, 900, false)];

async fn assert_accessible(browser: &Browser, page: &str) {
    let found = serious_violations(browser).await;
    assert!(
        found.is_empty(),
        "axe found {} serious or critical violation(s) on {page}:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[tokio::test]
async fn the_dashboard_has_no_serious_accessibility_violations() {
    let db = TestDb::create(StoreKind::MySql).await;
    let client_dir = tempfile::tempdir().unwrap();
    std::fs::write(client_dir.path().join("usage.js"), "").unwrap();
    let client = client_dir.path().to_path_buf();
    let aggregator = Aggregator::start(&db, move |c| {
        c.admin_token = Some(TOKEN.into());
        c.client_dir = client;
    })
    .await;
    let seeded = seed(&db).await;
    roll_up(&db).await;

    let browser = Browser::launch().await;
    for (name, width, height, mobile) in VIEWPORTS {
        browser
            .cdp(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
            )
            .await;
        browser
            .client
            .goto(&format!("{}/dashboard.html", aggregator.url()))
            .await
            .unwrap();
        browser.eval("sessionStorage.clear()").await;
        browser.client.refresh().await.unwrap();
        wait_for_state(&browser, "login").await;
        assert_accessible(&browser, &format!("the sign-in form ({name})")).await;

        sign_in(&browser, TOKEN).await;
        wait_for_state(&browser, "ready").await;
        let first = browser
            .client
            .find(Locator::Css("#chart-features li button"))
            .await
            .unwrap();
        first.click().await.unwrap();
        wait_until(
            &browser,
            "the feature data",
            "!document.getElementById('feature-detail').hidden \
             && document.querySelector('#feature-data tbody tr')",
        )
        .await;
        let narrow = browser
            .eval("return document.getElementById('chart-sessions').clientWidth < 480")
            .await;
        assert_eq!(narrow, mobile, "the {name} viewport took effect");
        assert_accessible(&browser, &format!("the dashboard ({name})")).await;
        check_chart_alternatives(&browser, seeded).await;
        // The data tables opened, as a reader who wants the numbers would.
        for summary in browser
            .client
            .find_all(Locator::Css("details.data summary"))
            .await
            .unwrap()
        {
            summary.click().await.unwrap();
        }
        let open = browser
            .eval("return document.querySelectorAll('details.data[open]').length")
            .await;
        assert_eq!(
            open, 11,
            "every chart's data table opens, the time split's, journey's and funnel's too"
        );
        assert_accessible(&browser, &format!("the dashboard, tables open ({name})")).await;

        // Today alone: the hourly chart shows, named, with a row an hour and its table open.
        browser
            .eval("document.querySelector('[data-days=\"1\"]').click()")
            .await;
        wait_until(
            &browser,
            "the hourly chart",
            "document.body.dataset.state === 'ready' \
             && !document.getElementById('chart-hours').hidden \
             && document.querySelectorAll('#chart-hours details.data tbody tr').length === 24",
        )
        .await;
        let hours = browser
            .eval(
                "const f = document.getElementById('chart-hours'); \
                 f.querySelector('details.data').open = true; \
                 return [f.querySelectorAll('svg rect.bar').length, \
                         f.querySelector('svg').getAttribute('aria-label')]",
            )
            .await;
        assert_eq!(hours[0], 24, "{hours}");
        assert!(
            hours[1]
                .as_str()
                .unwrap()
                .starts_with("Sessions per hour (UTC)"),
            "{hours}"
        );
        assert_accessible(&browser, &format!("the dashboard of today ({name})")).await;
    }
    browser.close().await;
}

/// Every chart: an accessible name, and a table holding the numbers it draws.
async fn check_chart_alternatives(browser: &Browser, seeded: u64) {
    let charts = browser
        .eval(
            "return [...document.querySelectorAll('figure[data-chart]')].map(f => {
               const img = f.querySelector('svg.chart, ol.ranking');
               const table = f.querySelector('details.data table');
               return {
                 id: f.id,
                 hidden: f.hidden,
                 name: img && (img.getAttribute('aria-label') || ''),
                 caption: table && table.caption ? table.caption.textContent : '',
                 rows: table ? table.tBodies[0].rows.length : -1,
                 drawn: f.querySelectorAll('svg rect.bar, ol.ranking li').length,
                 cells: table ? [...table.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)) : [],
               };
             })",
        )
        .await;
    let charts = charts.as_array().unwrap();
    // Program stats, the time split and the journey are lists of facts, not charts: the other
    // nine are (the funnel a ranking of its steps). The facts have their tables too.
    let facts = ["program-stats", "time-split", "journey-stats"];
    let drawn: Vec<_> = charts
        .iter()
        .filter(|c| !facts.contains(&c["id"].as_str().unwrap_or("")) && c["hidden"] != true)
        .collect();
    assert_eq!(drawn.len(), 9, "{charts:?}");
    let journey = charts.iter().find(|c| c["id"] == "journey-stats").unwrap();
    assert_eq!(journey["rows"], 7, "sessions and the six facts: {journey}");
    let sessions_days = drawn.iter().find(|c| c["id"] == "chart-sessions").unwrap()["drawn"]
        .as_i64()
        .unwrap();
    for chart in drawn {
        let id = chart["id"].as_str().unwrap();
        let name = chart["name"].as_str().unwrap_or("");
        assert!(name.len() > 10, "{id} has no accessible name: {chart}");
        assert!(
            !chart["caption"].as_str().unwrap().is_empty(),
            "{id}: {chart}"
        );
        let rows = chart["rows"].as_i64().unwrap();
        assert!(rows > 0, "{id}: an empty table: {chart}");
        if id == "chart-duration" {
            // Lines, not bars: a row a day, as many as the sessions chart has bars.
            assert_eq!(rows, sessions_days, "{id}: a row a day: {chart}");
        } else {
            assert_eq!(
                rows,
                chart["drawn"].as_i64().unwrap(),
                "{id}: a row a bar: {chart}"
            );
        }
        if id == "chart-sessions" {
            let sum: u64 = chart["cells"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    row[1]
                        .as_str()
                        .unwrap()
                        .replace(',', "")
                        .parse::<u64>()
                        .unwrap()
                })
                .sum();
            assert_eq!(sum, seeded, "the sessions table holds the charted numbers");
        }
    }
}

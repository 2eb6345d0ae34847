//! The dashboard in real headless Chromium against seeded data served by the real aggregator:
//! the token prompt, every chart drawn, the numbers shown equal to what the stats API answers,
//! readable on a phone. Screenshots go to target/screenshots/.

use std::time::Duration;

use mysql_async::prelude::Queryable;
use serde_json::{json, Value};
use usage_e2e::browser::Browser;
use usage_e2e::dashboard::{roll_up, seed, sign_in, wait_for_state, wait_until, DAYS, TOKEN};
use usage_e2e::stack::{repo_root, Aggregator, StoreKind, TestDb};

/// The API as the page sees it (same origin, same token).
async fn api(browser: &Browser, path: &str) -> Value {
    let script = "const done = arguments[arguments.length - 1];
        fetch('/api/v1/stats/' + arguments[0], {headers: {Authorization: 'Bearer ' + arguments[1]}})
          .then(r => r.json()).then(done, e => done({error: String(e)}));";
    browser
        .client
        .execute_async(script, vec![json!(path), json!(TOKEN)])
        .await
        .unwrap()
}

async fn screenshot(browser: &Browser, name: &str) {
    let png = browser.client.screenshot().await.unwrap();
    let dir = repo_root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

#[tokio::test]
async fn the_dashboard_shows_what_the_stats_api_answers() {
    // On MySQL: the seed is written in MySQL's date arithmetic, and the page reads the same stats
    // API whichever store answers it (the API's figures are checked on both in the api tests).
    let db = TestDb::create(StoreKind::MySql).await;
    // The dashboard does not need the browser client; the harness insists on one being there.
    let client_dir = tempfile::tempdir().unwrap();
    std::fs::write(client_dir.path().join("usage.js"), "").unwrap();
    let client = client_dir.path().to_path_buf();
    let aggregator = Aggregator::start(&db, move |c| {
        c.admin_token = Some(TOKEN.into());
        c.client_dir = client;
        // The Now panel refreshes every heartbeat period: a short one, so the test sees it.
        c.heartbeat_interval_secs = 1;
        // ...which, with the test's own reads, is more than a person's 120 requests a minute.
        c.limits.stats_per_client_per_minute = 10_000;
        // Not the defaults, so that the page shows the retention in force, not a constant.
        c.retention_days = 400;
        c.summary_text_retention_days = 700;
        // A site counting in its own zone: the page names the zone its answers name.
        c.site_timezones = "blog=Asia/Tokyo".parse().unwrap();
    })
    .await;
    let seeded = seed(&db).await;
    // Sessions filtered instead of stored (written by the ingest's group commit, not the rollup).
    db.execute(
        "INSERT INTO daily_site_filtered (date, site_id, reason, sessions) VALUES \
         (UTC_DATE(), 'ide', 'automation', 4), (UTC_DATE() - INTERVAL 1 DAY, 'ide', 'crawler', 1)",
    )
    .await;
    roll_up(&db).await;

    let browser = Browser::launch().await;
    browser.client.set_window_size(1280, 2200).await.unwrap();
    browser
        .client
        .goto(&format!("{}/dashboard.html", aggregator.url()))
        .await
        .unwrap();
    wait_for_state(&browser, "login").await;
    sign_in(&browser, "not-the-token-0123456789").await;
    wait_until(
        &browser,
        "the refusal",
        "document.getElementById('login-error').textContent",
    )
    .await;
    let refused = browser
        .eval("return document.getElementById('login-error').textContent")
        .await;
    assert!(
        refused.as_str().unwrap().contains("not accepted"),
        "{refused}"
    );
    sign_in(&browser, TOKEN).await;
    wait_for_state(&browser, "ready").await;
    let stored = browser
        .eval("return sessionStorage.getItem('usage-admin-token')")
        .await;
    assert_eq!(stored, TOKEN, "kept for the tab");
    // All sites, blog in its own zone: the panels that add up each site's summaries say so.
    let status = browser
        .eval("return document.getElementById('status').textContent")
        .await;
    assert!(
        status
            .as_str()
            .unwrap()
            .contains("count blog (Asia/Tokyo) on their own days"),
        "{status}"
    );

    let daily = api(&browser, "daily").await;
    let totals = &daily["totals"];
    assert_eq!(totals["sessions"], seeded);
    let kpis = browser
        .eval("const o = {}; for (const e of document.querySelectorAll('[data-kpi]')) o[e.dataset.kpi] = e.dataset.value; return o;")
        .await;
    for key in [
        "sessions",
        "visitor_days",
        "avg_duration_seconds",
        "avg_active_seconds",
        "programs_run",
        "lines_executed",
        "feature_uses",
    ] {
        assert_eq!(kpis[key], totals[key].to_string(), "{key}");
    }
    assert_eq!(
        kpis["success_rate"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        totals["success_rate"].as_f64().unwrap()
    );
    let shown = browser
        .eval("return document.getElementById('kpi-sessions').textContent")
        .await;
    assert_eq!(shown, seeded.to_string());
    // Under the headline figures: the sessions filtered instead of stored, as `daily` answers.
    assert_eq!(daily["filtered"], json!({"automation": 4, "crawler": 1}));
    let filtered = browser
        .eval("const f = document.getElementById('filtered'); return [f.dataset.automation, f.dataset.crawler, f.textContent];")
        .await;
    assert_eq!(filtered[0], "4");
    assert_eq!(filtered[1], "1");
    assert!(
        filtered[2].as_str().unwrap().contains("4 automated"),
        "{filtered}"
    );

    // Each headline figure says its change against the previous period of the same length, as
    // `compare=previous` reads it (the seeded days all lie in the shown range, so sessions were
    // none before it).
    let compared = api(
        &browser,
        &format!(
            "daily?from={}&to={}&compare=previous",
            daily["from"].as_str().unwrap(),
            daily["to"].as_str().unwrap()
        ),
    )
    .await;
    let before = &compared["previous"]["totals"];
    let notes = browser
        .eval("const o = {}; for (const e of document.querySelectorAll('.kpi .change')) o[e.id] = [e.textContent, e.dataset.previous]; return o;")
        .await;
    assert_eq!(notes.as_object().unwrap().len(), 8, "{notes}");
    let sessions = &notes["kpi-sessions-change"];
    assert_eq!(sessions[1], before["sessions"].to_string(), "{notes}");
    let days = daily["days"].as_array().unwrap().len();
    let expected = if before["sessions"] == 0 {
        format!("none in the previous {days} days")
    } else {
        let (now, was) = (seeded as f64, before["sessions"].as_f64().unwrap());
        let pct = ((now - was) / was * 100.0).round() as i64;
        let sign = if pct > 0 {
            "+"
        } else if pct < 0 {
            "−"
        } else {
            "±"
        };
        format!("{sign}{} % vs previous {days} days", pct.abs())
    };
    assert_eq!(sessions[0], expected.as_str(), "{notes}");

    // The retention in force, as `daily` reports it, shown under the status line.
    let kept = &daily["retention"];
    assert_eq!(
        (
            kept["raw_rows_days"].as_u64(),
            kept["summary_text_days"].as_u64()
        ),
        (Some(400), Some(700))
    );
    let retention = browser
        .eval("return document.getElementById('retention').textContent")
        .await;
    let retention = retention.as_str().unwrap();
    for part in [
        "400 days".to_string(),
        "700 days".to_string(),
        format!("from {}", kept["raw_rows_from"].as_str().unwrap()),
        format!("from {}", kept["summary_text_from"].as_str().unwrap()),
    ] {
        assert!(retention.contains(&part), "{part} not in {retention:?}");
    }

    // One bar per day of the range, each holding that day's count; the same for every chart.
    let bars = browser
        .eval("return [...document.querySelectorAll('#chart-sessions rect.bar')].map(r => [r.dataset.date, Number(r.dataset.value)])")
        .await;
    let expected: Vec<Value> = daily["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| json!([d["date"], d["sessions"]]))
        .collect();
    assert_eq!(bars, Value::Array(expected));
    for chart in [
        "sessions", "visitors", "duration", "programs", "features", "browsers", "os", "devices",
    ] {
        let rendered = browser
            .eval(&format!(
                "return document.getElementById('chart-{chart}').dataset.rendered"
            ))
            .await;
        assert_eq!(rendered, "true", "{chart}");
    }
    let dots = browser
        .eval("return document.querySelectorAll('#chart-duration circle.dot.active').length")
        .await;
    assert_eq!(dots, DAYS, "one active-time point per day with sessions");

    let features = api(&browser, "features").await;
    let top = browser
        .eval("const li = document.querySelector('#chart-features li'); return [li.dataset.name, Number(li.dataset.value)]")
        .await;
    assert_eq!(
        top,
        json!([
            features["features"][0]["name"],
            features["features"][0]["uses"]
        ])
    );
    // The drill-down of the top feature: its data's keys and values, as the API answers.
    let name = features["features"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    browser
        .eval("document.querySelector('#chart-features li button.link').click()")
        .await;
    wait_until(
        &browser,
        "the feature's data",
        &format!("document.getElementById('feature-detail').dataset.feature === '{name}'"),
    )
    .await;
    let detail = api(&browser, &format!("features/{name}")).await;
    let shown = browser
        .eval("return [...document.querySelectorAll('#feature-data tbody tr')].map(r => [r.dataset.key, r.dataset.value, Number(r.dataset.events)])")
        .await;
    let expected: Vec<Value> = detail["keys"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|k| {
            k["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| json!([k["key"], v["value"], v["events"]]))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!expected.is_empty(), "the seed's features carry data");
    assert_eq!(shown, Value::Array(expected));
    let clients = api(&browser, "clients").await;
    let browsers = browser
        .eval("return [...document.querySelectorAll('#chart-browsers li')].map(li => [li.dataset.name, Number(li.dataset.value)])")
        .await;
    let expected: Vec<Value> = clients["browsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["name"], c["sessions"]]))
        .collect();
    assert_eq!(browsers, Value::Array(expected));
    let programs = api(&browser, "programs").await;
    let runs = browser
        .eval("return Number(document.getElementById('programs-runs').dataset.value)")
        .await;
    assert_eq!(runs, programs["runs"]);
    // Where the time goes: the range's share of sessions without input, and a row a day (as
    // many as the sessions chart's).
    let time = api(&browser, "time").await;
    let shown = browser
        .eval(
            "const d = document.getElementById('time-no-input').dataset.value; \
             const rows = (id) => document.querySelectorAll(`#${id} details.data tbody tr`).length; \
             return [d === '' ? null : Number(d), rows('time-split') === rows('chart-sessions')]",
        )
        .await;
    assert_eq!(shown, json!([time["totals"]["no_input_share"], true]));
    // The journey and the funnel, as their routes answer.
    let journey = api(&browser, "journey").await;
    let shown = browser
        .eval("return ['journey-run', 'journey-success', 'journey-recovered'].map(id => Number(document.getElementById(id).dataset.value))")
        .await;
    assert_eq!(
        shown,
        json!([
            journey["sessions_with_run"],
            journey["sessions_with_success"],
            journey["recovered"]
        ])
    );
    assert!(
        journey["sessions_with_run"].as_u64().unwrap() > 0,
        "the seed has runs"
    );
    let funnel = api(&browser, "funnel").await;
    let steps = browser
        .eval("return [...document.querySelectorAll('#chart-funnel li')].map(li => [li.dataset.name, Number(li.dataset.value)])")
        .await;
    let expected: Vec<Value> = funnel["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!([s["name"], s["sessions"]]))
        .collect();
    assert_eq!(expected.len(), 4, "the default funnel: {funnel}");
    assert_eq!(steps, Value::Array(expected));
    let errors = api(&browser, "errors?limit=10").await;
    let shown = browser
        .eval("return [...document.querySelectorAll('#program-errors tbody tr')].map(r => [r.dataset.error, Number(r.dataset.runs)])")
        .await;
    let expected: Vec<Value> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["error"], e["runs"]]))
        .collect();
    assert!(!expected.is_empty(), "the seed has failed runs");
    assert_eq!(shown, Value::Array(expected));
    let rows = browser
        .eval("return document.querySelectorAll('#recent-sessions tbody tr').length")
        .await;
    assert_eq!(rows, 20);
    // The Now panel: what /live answers, then, without a reload, a session that comes online.
    let live = api(&browser, "live").await;
    let now = browser
        .eval("return Number(document.getElementById('now-sessions').dataset.value)")
        .await;
    assert_eq!(now, live["sessions"]);
    assert_eq!(live["sessions"], 0, "every seeded session has ended");
    let mut conn = db.pool().get_conn().await.unwrap();
    // With its minute (V5): the live view finds open sessions through that index.
    conn.query_drop(
        "INSERT INTO ide_sessions (session_id, start_time, last_seen_at, last_seen_minute, site_id) \
         VALUES ('online', UTC_TIMESTAMP(), UTC_TIMESTAMP(), \
         TIMESTAMPDIFF(MINUTE, '1970-01-01 00:00:00', UTC_TIMESTAMP()), 'ide')",
    )
    .await
    .unwrap();
    // Kept online as a page would keep it, seen again every 200 ms (the live view counts no
    // session seen after its "now"), so that it stays within the two-heartbeat window however
    // slow the machine is: the panel must pick it up on a refresh, with no reload.
    let online = tokio::spawn(async move {
        loop {
            let _ = conn
                .query_drop(
                    "UPDATE ide_sessions SET last_seen_at = UTC_TIMESTAMP(), \
                     last_seen_minute = TIMESTAMPDIFF(MINUTE, '1970-01-01 00:00:00', UTC_TIMESTAMP()) \
                     WHERE session_id = 'online'",
                )
                .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    wait_until(
        &browser,
        "the Now panel to refresh",
        "document.getElementById('now-sessions').dataset.value === '1'",
    )
    .await;
    let sites = browser
        .eval("return [...document.querySelectorAll('#now-sites tbody tr')].map(r => [r.dataset.site, Number(r.dataset.sessions)])")
        .await;
    assert_eq!(sites, json!([["ide", 1]]));
    online.abort();
    // The range figures read the summaries only (kept current by `serve`'s summary refresh every
    // `summary_refresh_secs`): roll the online session's day up, as that refresh would.
    roll_up(&db).await;
    let refreshes = browser
        .eval("return Number(document.getElementById('now').dataset.refreshes)")
        .await;
    assert!(refreshes.as_u64().unwrap() >= 2, "{refreshes}");
    // "Download CSV" on every section: the route's CSV, under the server's file name.
    let buttons = browser
        .eval("return [...document.querySelectorAll('[data-csv]')].map(b => b.dataset.csv)")
        .await;
    assert_eq!(
        buttons,
        json!([
            "live", "daily", "hourly", "features", "clients", "programs", "time", "journey",
            "funnel", "errors", "sessions"
        ])
    );
    browser
        .eval("document.querySelector('[data-csv=daily]').click()")
        .await;
    wait_until(
        &browser,
        "the daily CSV",
        "document.querySelector('[data-csv=daily]').dataset.downloaded",
    )
    .await;
    let saved = browser
        .eval("const b = document.querySelector('[data-csv=daily]'); return [b.dataset.downloaded, Number(b.dataset.bytes)]")
        .await;
    let from = daily["from"].as_str().unwrap();
    assert_eq!(
        saved[0],
        format!("usage-daily-{from}-{}.csv", daily["to"].as_str().unwrap())
    );
    assert!(saved[1].as_u64().unwrap() > 100, "{saved}");
    screenshot(&browser, "dashboard.png").await;

    // A phone: nothing wider than the screen.
    browser.client.set_window_size(390, 2400).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let overflow = browser
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert_eq!(overflow, 0, "horizontal scrolling on a phone");
    screenshot(&browser, "dashboard-phone.png").await;

    // One site: the figures of `?site=`, and zeros for a site without sessions; the days are
    // those of the site's zone (blog's own, ide's the report zone's), which the page names.
    for (site, expected, zone) in [("ide", None, "UTC"), ("blog", Some(0), "Asia/Tokyo")] {
        browser
            .eval(&format!(
                "document.getElementById('range-site').value = '{site}'; \
                 document.getElementById('range-apply').click()"
            ))
            .await;
        wait_until(
            &browser,
            "the site's figures",
            &format!("document.body.dataset.state === 'ready' && document.getElementById('status').textContent.includes('site {site}')"),
        )
        .await;
        let answer = api(&browser, &format!("daily?site={site}")).await;
        assert_eq!(answer["time_zone"], zone);
        let named = browser
            .eval("return [...document.querySelectorAll('.report-zone')].map((e) => e.textContent)")
            .await;
        assert!(
            named.as_array().unwrap().iter().all(|z| z == zone),
            "{site}: {named}"
        );
        let status = browser
            .eval("return document.getElementById('status').textContent")
            .await;
        assert!(
            status
                .as_str()
                .unwrap()
                .contains(&format!("days in {zone}")),
            "{status}"
        );
        let shown = browser
            .eval("return Number(document.querySelector('[data-kpi=sessions]').dataset.value)")
            .await;
        assert_eq!(shown, answer["totals"]["sessions"], "{site}");
        if let Some(sessions) = expected {
            assert_eq!(shown, sessions, "{site}");
        } else {
            assert_eq!(
                shown,
                seeded + 1,
                "every seeded session and the online one are on ide"
            );
        }
    }
    browser
        .eval("document.getElementById('range-site').value = ''")
        .await;

    // A narrower range redraws with one bar per day.
    browser
        .client
        .goto(&format!("{}/dashboard.html", aggregator.url()))
        .await
        .unwrap();
    wait_for_state(&browser, "ready").await;
    browser
        .eval("document.querySelector('[data-days=\"7\"]').click()")
        .await;
    wait_for_state(&browser, "ready").await;
    let bars = browser
        .eval("return document.querySelectorAll('#chart-sessions rect.bar').length")
        .await;
    assert_eq!(bars, 7);
    let hidden = browser
        .eval("return document.getElementById('chart-hours').hidden")
        .await;
    assert_eq!(hidden, true, "no hours for a range of 7 days");

    // Today alone: the hourly chart, 24 bars holding `/hourly`'s sessions.
    browser
        .eval("document.querySelector('[data-days=\"1\"]').click()")
        .await;
    wait_until(
        &browser,
        "the hourly chart",
        "document.body.dataset.state === 'ready' && document.getElementById('chart-hours').dataset.rendered",
    )
    .await;
    let today = browser
        .eval("return document.getElementById('range-to').value")
        .await;
    let hourly = api(
        &browser,
        &format!("hourly?from={0}&to={0}", today.as_str().unwrap()),
    )
    .await;
    let expected: Vec<u64> = hourly["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["sessions"].as_u64().unwrap())
        .collect();
    let drawn = browser
        .eval("return [...document.querySelectorAll('#chart-hours rect.bar')].map(r => Number(r.dataset.value))")
        .await;
    assert_eq!(drawn, json!(expected));
    assert!(
        expected.iter().sum::<u64>() > 0,
        "today's seeded sessions are in their hours"
    );
    screenshot(&browser, "dashboard-today.png").await;
    browser.close().await;
}

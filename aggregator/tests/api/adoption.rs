//! Adopting the old deployment's database: migrations upgrade it in place without losing a row,
//! and `adopt` leaves no raw address anywhere.
//!
//! MySQL only: the deployment being adopted is a MySQL database. What `adopt` does to raw
//! addresses is checked on both stores in `adoption_both_stores.rs`.

use std::process::Command;

use chrono::NaiveDateTime;
use mysql_async::prelude::Queryable;
use usage_aggregator::adopt::Adoption;
use usage_aggregator::visitor::IpMode;

use crate::helpers::{dump_all_tables, SessionScript, StoreKind, TestApp, TestDb};

const FIXTURE: &str = include_str!("../fixtures/old_deployment.sql");
const RAW_ADDRESSES: [&str; 3] = ["203.0.113.77", "198.51.100.23", "2001:db8:abcd:12::1"];

async fn old_deployment() -> TestDb {
    let db = TestDb::create(StoreKind::MySql).await;
    let mut conn = db.pool().get_conn().await.unwrap();
    conn.query_drop(FIXTURE).await.expect("the fixture loads");
    drop(conn);
    db
}

type SessionFacts = (String, NaiveDateTime, Option<u32>, u32, u64, u32);

async fn session_facts(db: &TestDb) -> Vec<SessionFacts> {
    db.rows("SELECT session_id, start_time, duration_seconds, programs_run, lines_executed, errors_encountered FROM ide_sessions ORDER BY session_id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect()
}

async fn hash_of(db: &TestDb, session: &str) -> Option<String> {
    db.scalar(&format!(
        "SELECT visitor_hash FROM ide_sessions WHERE session_id = '{session}'"
    ))
    .await
}

#[tokio::test]
async fn the_old_schema_is_upgraded_in_place_and_every_raw_address_goes() {
    let db = old_deployment().await;
    let before = session_facts(&db).await;
    let runs_before: Vec<(String, Option<u32>, Option<i8>)> = db
        .rows("SELECT session_id, execution_time_ms, success FROM program_executions ORDER BY id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    let app = TestApp::spawn_on(db, |_| {}).await;

    // Migrated in place: every row kept with its values, feature_usage created, history written.
    assert_eq!(session_facts(&app.db).await, before);
    let runs_after: Vec<(String, Option<u32>, Option<i8>)> = app
        .db
        .rows("SELECT session_id, execution_time_ms, success FROM program_executions ORDER BY id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    assert_eq!(runs_after, runs_before);
    assert_eq!(app.db.count("daily_usage_summary").await, 2);
    assert_eq!(app.db.count("feature_usage").await, 0);
    // Every migration this build carries (their number grows; the count is read, not written in).
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../sql/mysql"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sql")
        })
        .count() as u64;
    assert_eq!(app.db.count("refinery_schema_history").await, migrations);
    let dump = dump_all_tables(&app.db).await;
    assert!(
        dump.contains("203.0.113.77"),
        "the fixture does hold raw addresses"
    );

    let store = &app.jobs.reports.store;
    let adoption = Adoption {
        store,
        mode: IpMode::Hash,
        store_full_user_agent: false,
        zones: Default::default(),
    };
    let outcome = adoption.run().await.unwrap();
    assert_eq!(
        (outcome.rows, outcome.addresses),
        (6, 6),
        "old-6 holds neither address nor agent"
    );
    assert_eq!(
        outcome.one_off_salt_days, 3,
        "no salt of the 25th, 26th, 27th exists"
    );
    assert_eq!(outcome.page_visits, 3, "page_visits' addresses are cleared");

    let dump = dump_all_tables(&app.db).await;
    for raw in RAW_ADDRESSES {
        assert!(!dump.contains(raw), "{raw} is still stored:\n{dump}");
    }
    assert_eq!(
        app.db
            .scalar::<u64>("SELECT COUNT(*) FROM ide_sessions WHERE ip_address IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.db.count("visitor_salts").await,
        0,
        "one-off salts are never stored"
    );
    assert_eq!(session_facts(&app.db).await, before, "nothing else changed");
    // Same address and agent on the same day: one visitor; the same address another day: not linkable.
    let (h1, h2, h3, h5) = (
        hash_of(&app.db, "old-1").await,
        hash_of(&app.db, "old-2").await,
        hash_of(&app.db, "old-3").await,
        hash_of(&app.db, "old-5").await,
    );
    assert!(h1.is_some() && h1 == h2, "{h1:?} {h2:?}");
    assert!(h3.is_some() && h5.is_some() && h3 != h5);
    assert_eq!(
        hash_of(&app.db, "old-7").await,
        None,
        "'unknown' is not an address: dropped"
    );
    let agent: (String, String, String) = app
        .db
        .rows("SELECT user_agent, browser, device FROM ide_sessions WHERE session_id = 'old-4'")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .next()
        .unwrap();
    assert_eq!(
        agent,
        (
            "Safari 17 / iPhone / mobile".into(),
            "Safari".into(),
            "mobile".into()
        )
    );

    // A rerun finds nothing left to do.
    let again = adoption.run().await.unwrap();
    assert_eq!(again.rows, 0);

    // The adopted days roll up; the old summary of a day without raw rows stays as it was.
    app.jobs.run_once().await.unwrap();
    let day: (u32, u32, u32, u64, u32) = app.db
        .rows("SELECT unique_visitors, ide_sessions, programs_run, total_lines_executed, avg_session_duration_seconds \
               FROM daily_usage_summary WHERE date = '2026-11-25'").await
        .into_iter().map(mysql_async::from_row).next().unwrap();
    assert_eq!(day, (1, 2, 3, 170, 450));
    let old: (u32, u32) = app.db
        .rows("SELECT unique_visitors, ide_sessions FROM daily_usage_summary WHERE date = '2026-11-20'").await
        .into_iter().map(mysql_async::from_row).next().unwrap();
    assert_eq!(old, (7, 9));
    // The 27th: old-5 (no duration, left out of the average), old-6 (no hash: a visitor of its
    // own), old-7 (its address dropped: likewise).
    let day27: (u32, u32, u32) = app.db
        .rows("SELECT unique_visitors, ide_sessions, avg_session_duration_seconds FROM daily_usage_summary WHERE date = '2026-11-27'").await
        .into_iter().map(mysql_async::from_row).next().unwrap();
    assert_eq!(day27, (3, 3, 60));
}

#[tokio::test]
async fn the_command_truncates_in_truncate_mode_and_never_prints_an_address() {
    let db = old_deployment().await;
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        // The command's first name, kept as an alias of `adopt`.
        .arg("anonymize-stored-ips")
        .env_clear()
        .env("USAGE_DATABASE_URL", db.url())
        .env("USAGE_IP_MODE", "truncate")
        .env("USAGE_LOG", "debug")
        .output()
        .expect("the binary runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{printed}");
    assert!(
        printed.contains("rewrote 6 session row(s), 6 of which held an IP address"),
        "{printed}"
    );
    for raw in RAW_ADDRESSES {
        assert!(!printed.contains(raw), "{raw} printed:\n{printed}");
    }
    let stored: Vec<(String, Option<String>)> = db
        .rows("SELECT session_id, ip_address FROM ide_sessions ORDER BY session_id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    let of = |id: &str| stored.iter().find(|(s, _)| s == id).unwrap().1.clone();
    assert_eq!(of("old-1").as_deref(), Some("203.0.113.0"));
    assert_eq!(of("old-3").as_deref(), Some("198.51.100.0"));
    assert_eq!(of("old-4").as_deref(), Some("2001:db8:abcd::"));
    assert_eq!(of("old-7"), None);
    let dump = dump_all_tables(&db).await;
    for raw in RAW_ADDRESSES {
        assert!(!dump.contains(raw), "{raw} is still stored");
    }
}

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[tokio::test]
async fn a_stored_address_hashes_like_a_live_visit_while_its_days_salt_exists() {
    let app = TestApp::spawn_on(old_deployment().await, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    // old-5 started on the 27th at 10:00 from 198.51.100.23 with Chrome; the same person now
    // visits live on the 27th, which creates the 27th's salt.
    let mut conn = app.db.pool().get_conn().await.unwrap();
    conn.query_drop("UPDATE ide_sessions SET site_id = 'ide' WHERE session_id = 'old-5'")
        .await
        .unwrap();
    drop(conn);
    app.clock.set(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(10, 30, 0)
            .unwrap()
            .and_utc(),
    );
    let mut script = crate::helpers::SessionScript::new();
    let start = script.start(0.0);
    let batch = script.batch(0.0, vec![start]);
    let response = app
        .http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", "text/plain")
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "198.51.100.23")
        .body(batch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let live = hash_of(&app.db, &script.id).await;

    let store = &app.jobs.reports.store;
    let adoption = Adoption {
        store,
        mode: IpMode::Hash,
        store_full_user_agent: false,
        zones: Default::default(),
    };
    let outcome = adoption.run().await.unwrap();
    assert_eq!(outcome.rows, 6, "the live row has nothing to anonymize");
    assert_eq!(
        outcome.one_off_salt_days, 2,
        "the 27th's salt exists; the 25th's and 26th's do not"
    );
    assert!(live.is_some());
    assert_eq!(
        hash_of(&app.db, "old-5").await,
        live,
        "the same visitor as the live visit"
    );
    assert_ne!(hash_of(&app.db, "old-3").await, live, "another day");
    assert_eq!(app.db.count("visitor_salts").await, 1, "only the live salt");
}

/// During a switch-over the old Python tracker runs beside the aggregator: after `migrate` its
/// inserts, which leave the times to the column defaults, must still work, and the aggregator
/// must store its own rows under the deployment's foreign keys and column widths.
#[tokio::test]
async fn after_migrating_the_old_tracker_and_the_aggregator_both_write() {
    let app = TestApp::spawn_on(old_deployment().await, |_| {}).await;
    app.db
        .execute(
            "INSERT INTO ide_sessions (session_id, user_agent, ip_address) VALUES ('py-1', 'Mozilla/5.0', '192.0.2.1'); \
             INSERT INTO program_executions (session_id, program_lines, execution_time_ms, lines_executed, success) \
             VALUES ('py-1', 3, 4, 5, 1); \
             INSERT INTO feature_usage (session_id, feature_name) VALUES ('py-1', 'save'); \
             INSERT INTO page_visits (page_path, ip_address) VALUES ('/', '192.0.2.1')",
        )
        .await;
    let defaulted: u64 = app
        .db
        .scalar(
            "SELECT COUNT(*) FROM program_executions p JOIN ide_sessions s USING (session_id) \
             WHERE s.session_id = 'py-1' AND s.start_time IS NOT NULL AND p.timestamp IS NOT NULL",
        )
        .await;
    assert_eq!(
        defaulted, 1,
        "the old tracker's rows got their times from the defaults"
    );

    let mut script = SessionScript::new();
    let events = vec![
        script.start(0.0),
        script.run(1.0, 7, None),
        script.feature(2.0, "debugger"),
    ];
    app.store(&script.batch(3.0, events)).await;
    let sql = format!(
        "SELECT COUNT(*) FROM program_executions WHERE session_id = '{}'",
        script.id
    );
    assert_eq!(app.db.scalar::<u64>(&sql).await, 1);
    let sql = format!(
        "SELECT COUNT(*) FROM feature_usage WHERE session_id = '{}'",
        script.id
    );
    assert_eq!(app.db.scalar::<u64>(&sql).await, 1);
}

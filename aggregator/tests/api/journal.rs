//! The heartbeat journal (`heartbeat_journal = true`): heartbeat-only session updates are
//! committed as journal rows and folded into `ide_sessions` later. Checked against the direct
//! path (the same batches to an aggregator with the knob off): the folded rows are the same,
//! column by column; a journal row applied twice changes nothing and is deleted once applied;
//! a fold killed in the middle leaves everything as it was and the next one gives the same
//! rows; the live view, the idle sweep and the rollup see heartbeats not folded yet.

use std::process::{Command, Stdio};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use mysql_async::prelude::Queryable;
use serde_json::Value;
use usage_aggregator::fold::FOLD_LEASE;
use usage_aggregator::store::{Lease, Store};

use crate::helpers::server::noon;
use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp, TestDb};
use crate::reports::at;

/// An aggregator with the journal on whose periodic fold never runs: the fold lease is held by
/// another replica from before it starts, and the idle sweep (which folds first, without the
/// lease) runs once at start and not again for a day, so the test decides when heartbeats are
/// folded. The start's sweep runs in its own task, beside the test's first requests: the test
/// waits until it has folded a journal row left for it (an empty one, which changes no session),
/// or that sweep could fold the test's first heartbeats under its feet.
async fn journaled(kind: StoreKind) -> TestApp {
    let db = TestDb::create(kind).await;
    let store = Store::connect(Some(&db.url())).await.unwrap();
    store.migrate().await.unwrap();
    let other = Lease {
        name: FOLD_LEASE,
        holder: "another-replica",
    };
    let day = StdDuration::from_secs(24 * 3600);
    assert!(store.claim_lease(other, day).await.unwrap());
    store.disconnect().await;
    db.execute("INSERT INTO heartbeat_journal (body) VALUES ('[]')")
        .await;
    let app = TestApp::spawn_on(db, |c| {
        c.heartbeat_journal = true;
        c.admin_token = Some(crate::reports::TOKEN.into());
        c.rollup_interval_secs = 24 * 3600;
        c.maintenance_interval_secs = 24 * 3600;
    })
    .await;
    for _ in 0..600 {
        if app.db.count("heartbeat_journal").await == 0 {
            return app;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the sweep at start never folded the journal");
}

/// Every column of every session that does not depend on the database (its id, the visitor
/// hash of its own daily salt), in session id order.
async fn sessions(app: &TestApp) -> Vec<Vec<String>> {
    let columns = "session_id, site_id, user_agent, browser, os, device, first_seen_at, \
        last_seen_at, last_seen_minute, start_estimate, max_offset_ms, visible_ms, active_ms, \
        end_offset_ms, start_time, last_activity, end_time, duration_seconds, active_seconds, \
        programs_run, lines_executed, errors_encountered";
    let sql = format!("SELECT {columns} FROM ide_sessions ORDER BY session_id");
    app.db
        .rows(&sql)
        .await
        .into_iter()
        .map(|row| row.unwrap().into_iter().map(|v| format!("{v:?}")).collect())
        .collect()
}

/// Two sessions' batches: `a` heartbeats only (its row is made by the fold), `b` starts with a
/// run (its row is made at once) and then heartbeats, runs again, a feature, ends.
fn script() -> Vec<(i64, Value)> {
    let (mut a, mut b) = (SessionScript::new(), SessionScript::new());
    let mut batches = Vec::new();
    for i in 0..6 {
        let t = 30.0 * f64::from(i);
        let mut events = vec![a.heartbeat(t, t, t / 2.0)];
        if i == 0 {
            events.insert(0, a.start(0.0));
        }
        batches.push((i64::from(i) * 30_000 + 100, a.batch(t, events)));
        let events = match i {
            0 => vec![b.start(0.0), b.run(0.0, 7, None)],
            3 => vec![b.heartbeat(t, t, t), b.run(t, 3, Some("?SYNTAX ERROR"))],
            4 => vec![b.heartbeat(t, t, t), b.feature(t, "debugger")],
            5 => vec![b.heartbeat(t, t, t), b.end(t)],
            _ => vec![b.heartbeat(t, t, 1.0)],
        };
        batches.push((i64::from(i) * 30_000 + 200, b.batch(t, events)));
    }
    // A retry of one of a's batches, delivered late.
    let retried = batches[4].1.clone();
    batches.push((200_000, retried));
    batches
}

async fn deliver(app: &TestApp, batches: &[(i64, Value)]) {
    for (ms, batch) in batches {
        app.clock.set(noon() + Duration::milliseconds(*ms));
        app.store(batch).await;
    }
}

both_stores!(journaled_heartbeats_fold_into_the_rows_the_direct_path_writes_exactly_once);
async fn journaled_heartbeats_fold_into_the_rows_the_direct_path_writes_exactly_once(
    kind: StoreKind,
) {
    let batches = script();
    let direct = TestApp::spawn(kind).await;
    deliver(&direct, &batches).await;
    assert_eq!(direct.db.count("heartbeat_journal").await, 0, "knob off");
    let app = journaled(kind).await;
    deliver(&app, &batches).await;
    let journal = app.db.count("heartbeat_journal").await;
    assert!(journal >= 6, "a's batches at least: {journal}");
    assert_eq!(
        app.db.count("ide_sessions").await,
        1,
        "only b, whose first batch had a run, has its row before the fold"
    );
    assert_eq!(app.db.count("program_executions").await, 2);
    assert_eq!(app.db.count("feature_usage").await, 1);

    // Every journal row twice (a copy of each, as a fold that committed and was applied again
    // would see): the merge is a max, so the rows come out the same.
    app.db
        .execute("INSERT INTO heartbeat_journal (body) SELECT body FROM heartbeat_journal")
        .await;
    let folded = app.jobs.folder.fold_all().await.unwrap();
    assert_eq!(folded.rows, 2 * journal);
    assert_eq!(
        app.db.count("heartbeat_journal").await,
        0,
        "deleted once applied"
    );
    let expected = sessions(&direct).await;
    assert_eq!(expected.len(), 2);
    assert_eq!(sessions(&app).await, expected);
    let again = app.jobs.folder.fold_all().await.unwrap();
    assert_eq!((again.rows, again.sessions), (0, 0));
    assert_eq!(sessions(&app).await, expected);
}

/// Waits until the fold's transaction waits for the lock the test holds (MySQL), then returns
/// the fold's connection id.
async fn blocked_fold(db: &TestDb) -> u64 {
    for _ in 0..600 {
        let waiting = db
            .rows(
                "SELECT p.id FROM information_schema.innodb_trx t \
                 JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id \
                 WHERE t.trx_state = 'LOCK WAIT' AND p.info LIKE 'DELETE FROM heartbeat_journal%'",
            )
            .await;
        if let Some(row) = waiting.into_iter().next() {
            return row.get::<u64, _>(0).unwrap();
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("the fold never reached its delete");
}

both_stores!(a_fold_killed_midway_changes_nothing_and_the_next_gives_the_same_rows);
async fn a_fold_killed_midway_changes_nothing_and_the_next_gives_the_same_rows(kind: StoreKind) {
    let batches = script();
    let direct = TestApp::spawn(kind).await;
    deliver(&direct, &batches).await;
    let app = journaled(kind).await;
    deliver(&app, &batches).await;
    let before = sessions(&app).await;
    let journal = app.db.count("heartbeat_journal").await;

    let fold = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"));
        command
            .arg("fold")
            .env_clear()
            .env("USAGE_DATABASE_URL", app.db.url())
            .env("USAGE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    match kind {
        StoreKind::MySql => {
            // The newest journal row locked: the fold reads it (reads do not lock), upserts the
            // sessions, and waits at its delete, in the middle of its transaction.
            let mut lock = app.db.pool().get_conn().await.unwrap();
            lock.query_drop(
                "START TRANSACTION; SELECT id FROM heartbeat_journal ORDER BY id DESC LIMIT 1 FOR UPDATE",
            )
            .await
            .unwrap();
            let mut child = fold().spawn().unwrap();
            let connection = blocked_fold(&app.db).await;
            child.kill().unwrap();
            child.wait().unwrap();
            // The server notices a dead client when it next talks to it; closing the
            // connection now is what it then does: the transaction is rolled back.
            lock.query_drop(format!("KILL CONNECTION {connection}"))
                .await
                .unwrap();
            lock.query_drop("ROLLBACK").await.unwrap();
        }
        StoreKind::Sqlite => {
            // The write lock held: the fold waits to begin; killed there.
            let holder = app.db.sqlite_connection();
            holder.execute_batch("BEGIN IMMEDIATE").unwrap();
            let mut child = fold().spawn().unwrap();
            tokio::time::sleep(StdDuration::from_secs(1)).await;
            child.kill().unwrap();
            child.wait().unwrap();
            holder.execute_batch("ROLLBACK").unwrap();
        }
    }
    assert_eq!(app.db.count("heartbeat_journal").await, journal);
    assert_eq!(
        sessions(&app).await,
        before,
        "nothing of the killed fold stays"
    );

    let output = fold().output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains(&format!("folded {journal} heartbeat journal row(s)")),
        "{said}"
    );
    assert_eq!(app.db.count("heartbeat_journal").await, 0);
    assert_eq!(sessions(&app).await, sessions(&direct).await);
}

fn later(base: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    base + Duration::seconds(secs)
}

both_stores!(the_live_view_the_sweep_and_the_rollup_see_heartbeats_not_folded_yet);
async fn the_live_view_the_sweep_and_the_rollup_see_heartbeats_not_folded_yet(kind: StoreKind) {
    let app = journaled(kind).await;
    // A session with a row from 11:00 (its first batch ran a program) and a heartbeat at 11:45
    // in the journal: at 12:10 (idle cutoff 11:40) it is not idle.
    let mut s = SessionScript::new();
    app.clock.set(at(28, 11, 0));
    let events = vec![s.start(0.0), s.run(0.0, 5, None)];
    app.store(&s.batch(0.0, events)).await;
    app.clock.set(at(28, 11, 45));
    let events = vec![s.heartbeat(2700.0, 2700.0, 600.0)];
    app.store(&s.batch(2700.0, events)).await;
    assert_eq!(app.db.count("heartbeat_journal").await, 1);
    app.clock.set(at(28, 12, 10));
    let swept = app.jobs.run_upkeep().await.unwrap();
    assert_eq!(
        swept.sessions_ended, 0,
        "its journaled heartbeat keeps it open"
    );
    assert_eq!(app.db.count("ide_sessions WHERE end_time IS NULL").await, 1);
    assert_eq!(
        app.db.count("heartbeat_journal").await,
        0,
        "the sweep folded first"
    );

    // Its next heartbeat, at 12:10:40, is in the journal only: the live view at 12:10:50
    // counts the session as on the site (seen within 30 s).
    app.clock.set(later(at(28, 12, 10), 40));
    let events = vec![s.heartbeat(4240.0, 4240.0, 900.0)];
    app.store(&s.batch(4240.0, events)).await;
    assert_eq!(app.db.count("heartbeat_journal").await, 1);
    app.clock.set(later(at(28, 12, 10), 50));
    let live = app.stats("live").await;
    assert_eq!(live["sessions"], 1, "{live}");

    // Its end, at 12:30, is in the journal only: the day's rollup counts the whole session.
    app.clock.set(at(28, 12, 30));
    let events = vec![s.heartbeat(5400.0, 5400.0, 1200.0), s.end(5400.0)];
    app.store(&s.batch(5400.0, events)).await;
    assert_eq!(app.db.count("heartbeat_journal").await, 1);
    app.jobs.run_reports().await.unwrap();
    assert_eq!(
        app.db.count("heartbeat_journal").await,
        0,
        "the rollup folded first"
    );
    let average: u64 = app
        .db
        .scalar("SELECT avg_session_duration_seconds FROM daily_usage_summary WHERE date = '2026-11-28'")
        .await;
    assert_eq!(average, 5400, "11:00 to 12:30");
}

both_stores!(the_journal_lag_counts_what_is_not_folded_yet);
async fn the_journal_lag_counts_what_is_not_folded_yet(kind: StoreKind) {
    let app = journaled(kind).await;
    let store = &app.jobs.store;
    let empty = store.journal_lag().await.unwrap();
    assert_eq!((empty.rows, empty.oldest_age_secs), (0, 0.0));
    deliver(&app, &script()).await;
    let lag = store.journal_lag().await.unwrap();
    assert_eq!(lag.rows, app.db.count("heartbeat_journal").await);
    assert!(lag.rows >= 6, "a's batches at least: {lag:?}");
    assert!(lag.oldest_age_secs >= 0.0, "{lag:?}");
    app.jobs.folder.fold_all().await.unwrap();
    let folded = store.journal_lag().await.unwrap();
    assert_eq!((folded.rows, folded.oldest_age_secs), (0, 0.0));
}

both_stores!(every_session_of_one_visitor_holds_the_hash_computed_afresh);
/// The journal carries each session's visitor hash to the row the fold makes: every session of
/// one client holds the same hash, on both paths (journal on and off).
async fn every_session_of_one_visitor_holds_the_hash_computed_afresh(kind: StoreKind) {
    for app in [journaled(kind).await, TestApp::spawn(kind).await] {
        deliver(&app, &script()).await;
        // A third session of the same client, one batch: its hash is computed for it.
        let mut c = SessionScript::new();
        let events = vec![c.start(0.0)];
        app.store(&c.batch(0.0, events)).await;
        app.jobs.folder.fold_all().await.unwrap();
        assert_eq!(app.db.count("ide_sessions").await, 3);
        assert_eq!(
            app.db
                .count("ide_sessions WHERE visitor_hash IS NULL")
                .await,
            0
        );
        let hashes: u64 = app
            .db
            .scalar("SELECT COUNT(DISTINCT visitor_hash) FROM ide_sessions")
            .await;
        assert_eq!(hashes, 1, "one client, one day, one site: one visitor");
    }
}

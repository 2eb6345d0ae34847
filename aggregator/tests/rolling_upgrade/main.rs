//! A rolling update, as Kubernetes runs one, on one MariaDB database under load: the previous
//! release (built from its commit, see `previous`) serves; this release starts and migrates
//! beside it; the old one crashes and restarts mid-rollout (on the schema the new one migrated);
//! a second new one starts; the old one stops. Clients post through a balancer all along.
//! Every acknowledged run and feature is stored exactly once, every session counted right, and
//! nothing answers a 4xx or a 5xx other than 503 (retried, as the real client does).
//!
//! When this release adds no migration, the old one meets the schema it knows and the test
//! proves restart tolerance under load; when it adds some, the restarted old one must start on
//! them (and say so in a warning). Either way the pin stays meaningful if bumped at each release
//! (`previous::PREVIOUS_RELEASE`). MySQL only: a SQLite file has one aggregator process.

mod load;
mod previous;
// The api suite's session builder and binary runner, and the scale-out suite's workload.
#[allow(dead_code)]
#[path = "../api/helpers/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "../scale_out/replicas.rs"]
mod replicas;
#[allow(dead_code)]
#[path = "../api/helpers/server.rs"]
mod server;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use usage_test_support::{StoreKind, TestDb};

use load::{Balancer, Load, Tally, BATCHES_PER_SESSION};
use replicas::stored_counts;
use server::BinaryApp;

/// Concurrent clients.
const CLIENTS: usize = 16;
/// Batches acknowledged in each phase of the rollout before the next step.
const PER_PHASE: usize = 800;

/// One aggregator process of either release, started on `db` (off the async threads: starting
/// waits for its "serving" line, which comes once it has migrated), and ready: as Kubernetes
/// does, the balancer sends it nothing before its `/readyz` answers 200.
async fn start(exe: &Path, db: &TestDb, folder: &Path) -> BinaryApp {
    let (exe, url, folder) = (exe.to_path_buf(), db.url(), folder.to_path_buf());
    let app = tokio::task::spawn_blocking(move || {
        BinaryApp::spawn_exe(
            &exe,
            &folder,
            &[
                ("USAGE_DATABASE_URL", url.as_str()),
                ("USAGE_LOG", "info"),
                // Every client of this test is 127.0.0.1.
                ("USAGE_RATE_LIMITS", "false"),
            ],
        )
    })
    .await
    .unwrap();
    let readyz = format!("{}/readyz", app.address);
    for _ in 0..300 {
        let answer = reqwest::get(&readyz).await;
        if answer.is_ok_and(|r| r.status() == 200) {
            return app;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{} never became ready:\n{}", app.address, app.log());
}

async fn stop(app: BinaryApp, balancer: &Balancer) -> String {
    balancer.remove(&app.address);
    let (status, log) = tokio::task::spawn_blocking(move || app.stop())
        .await
        .unwrap();
    assert!(status.success(), "an instance stopped uncleanly:\n{log}");
    log
}

fn current_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_usage-aggregator"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rolling_update_from_the_previous_release_loses_and_doubles_nothing() {
    let previous = tokio::task::spawn_blocking(previous::binary).await.unwrap();
    let theirs = previous::migrations_of(&previous.src);
    let ours = previous::migrations_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    let added: Vec<&String> = ours.iter().filter(|m| !theirs.contains(m)).collect();
    assert!(
        theirs.iter().all(|m| ours.contains(m)),
        "a migration of the previous release was changed or removed (migrations are only added): {theirs:?} vs {ours:?}"
    );
    let db = TestDb::create(StoreKind::MySql).await;
    let folder = tempfile::tempdir().unwrap();
    let balancer = Arc::new(Balancer::default());
    let tally = Arc::new(Tally::default());

    // Before the update: the previous release alone.
    let old = start(&previous.exe, &db, folder.path()).await;
    balancer.add(&old.address);
    let load = Load::start(CLIENTS, balancer.clone(), tally.clone());
    tally.wait_for(PER_PHASE).await;

    // The new release starts and migrates while the old one serves.
    let served_before = tally.batches.load(Ordering::SeqCst);
    let new = start(&current_exe(), &db, folder.path()).await;
    let served_meanwhile = tally.batches.load(Ordering::SeqCst) - served_before;
    balancer.add(&new.address);
    tally.wait_for(PER_PHASE).await;

    // The old one is killed (an OOM kill, a node lost) and restarts on the migrated schema.
    let crashed = old.address.clone();
    let _ = tokio::task::spawn_blocking(move || old.crash())
        .await
        .unwrap();
    tally.wait_for(PER_PHASE / 3).await;
    balancer.remove(&crashed);
    let old = start(&previous.exe, &db, folder.path()).await;
    balancer.add(&old.address);
    tally.wait_for(PER_PHASE).await;

    // The rollout goes on: a second new one, then the old one stops.
    let second = start(&current_exe(), &db, folder.path()).await;
    balancer.add(&second.address);
    tally.wait_for(PER_PHASE).await;
    let old_log = stop(old, &balancer).await;
    tally.wait_for(PER_PHASE).await;

    load.finish().await;
    let new_log = stop(new, &balancer).await;
    stop(second, &balancer).await;

    // What the releases said about the schema.
    for migration in &added {
        let version = migration.split("__").next().unwrap();
        assert!(
            new_log.contains(version),
            "the new release applied {migration}:\n{new_log}"
        );
        assert!(
            old_log.contains("newer than this release") && old_log.contains(version),
            "the restarted old release names {migration} as newer:\n{old_log}"
        );
    }

    // What the clients saw.
    let wrong = tally.wrong.lock().unwrap().clone();
    assert!(
        wrong.is_empty(),
        "answers other than 200 and 503: {wrong:?}"
    );
    let acknowledged = tally.acknowledged.lock().unwrap().clone();
    let sessions = tally.sessions.load(Ordering::SeqCst);

    // What was stored: every acknowledged event once, and nothing else.
    let counts: BTreeMap<String, u64> = stored_counts(&db).await;
    let unique: HashSet<&String> = acknowledged.iter().collect();
    assert_eq!(unique.len(), acknowledged.len(), "event ids are unique");
    let lost: Vec<&&String> = unique
        .iter()
        .filter(|id| !counts.contains_key(**id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    let doubled: Vec<(&String, &u64)> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(doubled.is_empty(), "stored more than once: {doubled:?}");
    assert_eq!(counts.len(), unique.len(), "stored events nobody sent");
    assert_eq!(db.count("ide_sessions").await, sessions as u64);
    let miscounted = db
        .count(&format!(
            "ide_sessions WHERE programs_run <> {BATCHES_PER_SESSION} OR end_time IS NULL"
        ))
        .await;
    assert_eq!(miscounted, 0, "a session's run counter or end is off");

    eprintln!(
        "rolling update: previous {}, migrations added by this release: {added:?}; {} sessions, \
         {} batches, {} events checked; {} batches acknowledged while the new release started; \
         {} answers 503 and {} unanswered requests retried",
        previous::PREVIOUS_RELEASE,
        sessions,
        tally.batches.load(Ordering::SeqCst),
        acknowledged.len(),
        served_meanwhile,
        tally.unavailable.load(Ordering::SeqCst),
        tally.unanswered.load(Ordering::SeqCst),
    );
}

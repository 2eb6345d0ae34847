//! Replicas with the heartbeat journal on (`heartbeat_journal`, docs/heartbeat-journal.md):
//! sessions whose batches alternate runs with heartbeat-only batches, delivered shuffled and
//! twice at once to random replicas, on one MariaDB and on a three-node Galera cluster (each
//! replica on its own node, so their journal inserts and folds meet in certification). Once the
//! replicas stopped (each folds as it stops), the journal is empty and the rows are those one
//! aggregator without the journal stores, counters included.

use serde_json::Value;
use usage_test_support::{GaleraCluster, StoreKind, TestDb};

use super::events::SessionScript;
use super::replicas::{clock, workload, Replica};
use super::{assert_same_as_one_aggregator, deliver_shuffled, reference_dump, through};

/// [`workload`] with a heartbeat-only batch after each batch: the ones the journal takes.
fn journal_workload(sessions: usize, batches: usize) -> Vec<Vec<Value>> {
    workload(sessions, batches)
        .into_iter()
        .map(|session| {
            let id = session[0]["session"].as_str().unwrap().to_string();
            let mut script = SessionScript::new();
            script.id = id;
            session
                .into_iter()
                .enumerate()
                .flat_map(|(b, batch)| {
                    let t = 10.0f64.mul_add((b + 1) as f64, 5.0);
                    let beat = script.heartbeat(t, t, t / 2.0);
                    [batch, script.batch(t, vec![beat])]
                })
                .collect()
        })
        .collect()
}

/// Replicas on `urls` (all on `db`) with the journal on store what one aggregator without it
/// stores on `reference`.
async fn journaled_replicas(db: &TestDb, urls: &[String], reference: TestDb) {
    let sessions = journal_workload(12, 4);
    // Counters are left out of the dumps (their check below counts 4 runs, not 8 batches).
    let reference = reference_dump(reference, &sessions, false).await;
    let shared = clock();
    let mut replicas = Vec::new();
    for url in urls {
        replicas.push(Replica::spawn_with(url, &shared, |c| c.heartbeat_journal = true).await);
    }
    deliver_shuffled(&replicas, &sessions).await;
    for replica in replicas {
        replica.shutdown().await;
    }
    let journaled: u64 = db
        .scalar(
            "SELECT AUTO_INCREMENT FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'heartbeat_journal'",
        )
        .await;
    assert!(journaled > 1, "heartbeats went through the journal");
    assert_eq!(
        db.count("heartbeat_journal").await,
        0,
        "the last replica to stop folded what was left"
    );
    assert_same_as_one_aggregator(db, &reference, &sessions, false).await;
    assert_eq!(
        db.count("ide_sessions WHERE programs_run <> 4 OR lines_executed <> 20")
            .await,
        0,
        "a session's run counter is off"
    );
}

#[tokio::test]
async fn journaled_replicas_on_one_mariadb_server_store_what_one_aggregator_stores() {
    let db = TestDb::create(StoreKind::MySql).await;
    let urls = vec![db.url(); 3];
    journaled_replicas(&db, &urls, TestDb::create(StoreKind::MySql).await).await;
}

#[tokio::test]
async fn journaled_replicas_on_galera_store_what_one_aggregator_stores() {
    let cluster = GaleraCluster::start().await;
    let db = TestDb::create_on(&cluster.url(0)).await;
    let urls: Vec<String> = (0..cluster.size())
        .map(|node| through(&cluster, node, &db))
        .collect();
    journaled_replicas(&db, &urls, TestDb::create_on(&cluster.url(0)).await).await;
}

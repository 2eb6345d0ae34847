//! Scale-out: several aggregator replicas on one database, standalone MariaDB and a three-node
//! Galera cluster (tests/support `GaleraCluster`, one per run of this binary: forming it takes
//! about 20 s). Replicas keep no state of their own, so batches of one session may reach any of
//! them, in any order, twice at once, and the rows are the ones a single aggregator stores; a
//! node killed under load loses and doubles nothing that was acknowledged; `conflicts` drives
//! flushes past the writer's conflict limit. MySQL only by nature:
//! an embedded SQLite file has one writer process. See docs/scale-out.md.

mod conflicts;
mod journal;
// The api suite's session builder and test server constants, shared rather than copied.
#[allow(dead_code)]
#[path = "../api/helpers/events.rs"]
mod events;
mod replicas;
#[allow(dead_code)]
#[path = "../api/helpers/server.rs"]
mod server;

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use rand::seq::SliceRandom;
use serde_json::Value;
use usage_test_support::GaleraCluster;

use replicas::{clock, comparable_dump, stored_counts, stored_event_ids, workload, Replica};
use usage_test_support::{StoreKind, TestDb};

/// Posts `batch` to `replicas[first]`, then, on anything but 200, to the next replica and so on
/// (as a load balancer's client retries), until one acknowledges it; panics after a minute.
async fn deliver(replicas: &[Replica], first: usize, batch: &Value) {
    for attempt in 0..240 {
        let replica = &replicas[(first + attempt) % replicas.len()];
        if replica.post(batch).await == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no replica acknowledged a batch within a minute");
}

/// Every batch to a random replica, in random order across and within sessions, eight at a
/// time, and each one twice at the same moment to two different replicas (a client retrying
/// while its first attempt is still in flight).
async fn deliver_shuffled(replicas: &[Replica], sessions: &[Vec<Value>]) {
    let mut sends: Vec<(usize, &Value)> = sessions
        .iter()
        .flatten()
        .flat_map(|batch| {
            let first = rand::random_range(0..replicas.len());
            [(first, batch), ((first + 1) % replicas.len(), batch)]
        })
        .collect();
    sends.shuffle(&mut rand::rng());
    futures::stream::iter(sends)
        .map(|(first, batch)| deliver(replicas, first, batch))
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

/// One aggregator stores `sessions` batch by batch, in order: the rows replicas must match.
async fn reference_dump(db: TestDb, sessions: &[Vec<Value>], counters: bool) -> String {
    let one = Replica::spawn(&db.url(), &clock()).await;
    for batch in sessions.iter().flatten() {
        deliver(std::slice::from_ref(&one), 0, batch).await;
    }
    one.shutdown().await;
    comparable_dump(&db, counters).await
}

/// The replicated database holds exactly what one aggregator stored: the same rows, every run
/// and feature once, run counters right (when `counters`), one salt for the day and so one
/// visitor.
async fn assert_same_as_one_aggregator(
    replicated: &TestDb,
    reference: &str,
    sessions: &[Vec<Value>],
    counters: bool,
) {
    let dump = comparable_dump(replicated, counters).await;
    let ours: HashSet<&str> = dump.lines().collect();
    let theirs: HashSet<&str> = reference.lines().collect();
    let extra: Vec<&&str> = ours.difference(&theirs).collect();
    let missing: Vec<&&str> = theirs.difference(&ours).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "replicas stored other rows than one aggregator:\nonly theirs: {extra:#?}\nonly one aggregator's: {missing:#?}"
    );
    let counts = stored_counts(replicated).await;
    let sent: HashSet<String> = sessions
        .iter()
        .flatten()
        .flat_map(stored_event_ids)
        .collect();
    assert_eq!(counts.len(), sent.len());
    assert!(counts.iter().all(|(id, n)| *n == 1 && sent.contains(id)));
    if counters {
        let batches = sessions[0].len() as u64;
        let wrong: u64 = replicated
            .count(&format!("ide_sessions WHERE programs_run <> {batches}"))
            .await;
        assert_eq!(wrong, 0, "a session's run counter is off");
    }
    assert_eq!(
        replicated.count("ide_sessions").await,
        sessions.len() as u64
    );
    assert_eq!(
        replicated.count("visitor_salts").await,
        1,
        "one salt per day"
    );
    let visitors: u64 = replicated
        .scalar("SELECT COUNT(DISTINCT visitor_hash) FROM ide_sessions")
        .await;
    assert_eq!(visitors, 1, "one visitor, hashed with the one salt");
}

#[tokio::test]
async fn replicas_on_one_mariadb_server_store_what_one_aggregator_stores() {
    let sessions = workload(12, 4);
    let reference = reference_dump(TestDb::create(StoreKind::MySql).await, &sessions, true).await;
    let db = TestDb::create(StoreKind::MySql).await;
    let shared = clock();
    // The first one migrates; the others find the schema current.
    let mut replicas = vec![Replica::spawn(&db.url(), &shared).await];
    for _ in 0..2 {
        replicas.push(Replica::spawn(&db.url(), &shared).await);
    }
    deliver_shuffled(&replicas, &sessions).await;
    for replica in replicas {
        replica.shutdown().await;
    }
    assert_same_as_one_aggregator(&db, &reference, &sessions, true).await;
}

/// While one replica holds the rollup lease, another's rollup round does nothing; once it is
/// released, the other rolls the day up. Rounds started at the same moment on every replica all
/// succeed and leave the day's summary right.
async fn one_rollup_at_a_time(replicas: &[Replica], db: &TestDb, sessions: usize) {
    use usage_aggregator::jobs::{REPORTS_LEASE, REPORTS_LEASE_TTL};
    use usage_aggregator::store::Lease;
    let (holder, other) = (&replicas[0].jobs, &replicas[1].jobs);
    let store = &holder.store;
    fn lease(jobs: &usage_aggregator::jobs::Jobs) -> Lease<'_> {
        Lease {
            name: REPORTS_LEASE,
            holder: &jobs.replica_id,
        }
    }
    assert!(store
        .claim_lease(lease(holder), REPORTS_LEASE_TTL)
        .await
        .unwrap());
    assert!(!store
        .claim_lease(lease(other), REPORTS_LEASE_TTL)
        .await
        .unwrap());
    let skipped = other.run_reports().await.unwrap();
    assert_eq!(skipped.days_rolled_up, 0, "rolled up under another's lease");
    assert_eq!(db.count("daily_usage_summary").await, 0);
    store.release_lease(lease(holder)).await.unwrap();
    // On Galera the release is applied on the other replica's node a moment after it commits on
    // the holder's: until then that round finds the lease taken and skips (bounded wait).
    let mut done = other.run_reports().await.unwrap();
    for _ in 0..50 {
        if done.days_rolled_up > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        done = other.run_reports().await.unwrap();
    }
    assert_eq!(done.days_rolled_up, 1);
    let rounds = futures::future::join_all(replicas.iter().map(|r| r.jobs.run_reports()));
    for round in rounds.await {
        round.expect("a round that finds the lease taken skips, it does not fail");
    }
    let summarized: u64 = db
        .scalar("SELECT ide_sessions FROM daily_usage_summary")
        .await;
    assert_eq!(summarized, sessions as u64);
}

async fn rollup_lease(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let shared = clock();
    let mut replicas = vec![Replica::spawn(&db.url(), &shared).await];
    replicas.push(Replica::spawn(&db.url(), &shared).await);
    replicas.push(Replica::spawn(&db.url(), &shared).await);
    let sessions = workload(4, 2);
    deliver_shuffled(&replicas, &sessions).await;
    one_rollup_at_a_time(&replicas, &db, sessions.len()).await;
    for replica in replicas {
        replica.shutdown().await;
    }
}

#[tokio::test]
async fn rollup_lease_mysql() {
    rollup_lease(StoreKind::MySql).await
}

#[tokio::test]
async fn rollup_lease_sqlite() {
    rollup_lease(StoreKind::Sqlite).await
}

/// The database `db` through node `node` of `cluster`.
fn through(cluster: &GaleraCluster, node: usize, db: &TestDb) -> String {
    let name = db.url().rsplit('/').next().unwrap().to_string();
    format!("{}/{name}", cluster.url(node))
}

/// Replicas, each on its own node, store what one aggregator stores (`counters`: the sessions'
/// run counters included).
async fn galera_replicas(cluster: &GaleraCluster, counters: bool) -> (TestDb, Vec<Replica>, usize) {
    let sessions = workload(12, 4);
    let reference = reference_dump(
        TestDb::create_on(&cluster.url(0)).await,
        &sessions,
        counters,
    )
    .await;
    let db = TestDb::create_on(&cluster.url(0)).await;
    let shared = clock();
    let mut replicas = Vec::new();
    for node in 0..cluster.size() {
        replicas.push(Replica::spawn(&through(cluster, node, &db), &shared).await);
    }
    deliver_shuffled(&replicas, &sessions).await;
    assert_same_as_one_aggregator(&db, &reference, &sessions, counters).await;
    (db, replicas, sessions.len())
}

/// One test for the whole cluster, which its phases share (and kill, and restart).
#[tokio::test]
async fn galera_replicas_survive_a_node_kill_and_a_full_restart() {
    let mut cluster = GaleraCluster::start().await;
    let (db, replicas, sessions) = galera_replicas(&cluster, true).await;

    one_rollup_at_a_time(&replicas, &db, sessions).await;
    node_killed_under_load(&mut cluster, &replicas, &db).await;

    quorum_lost_on_one_node(&mut cluster, &replicas, &db).await;

    cluster.restart_all().await;
    let after = workload(3, 1);
    for (node, batch) in after.iter().flatten().enumerate() {
        // Each replica's pool reconnects to its restarted node.
        deliver(&replicas[node..=node], 0, batch).await;
    }
    let counts = stored_counts(&db).await;
    for id in after.iter().flatten().flat_map(stored_event_ids) {
        assert_eq!(
            counts.get(&id),
            Some(&1),
            "stored once after the full restart"
        );
    }
    for replica in replicas {
        replica.shutdown().await;
    }
}

/// kill -9 of node 1 while clients post to every replica (and retry elsewhere what was not
/// acknowledged): every acknowledged run and feature is stored exactly once, the replica on the
/// dead node says it is not ready, and ready again once its node rejoined.
async fn node_killed_under_load(cluster: &mut GaleraCluster, replicas: &[Replica], db: &TestDb) {
    let load = workload(30, 3);
    let (before, rest) = load.split_at(10);
    deliver_shuffled(replicas, before).await;
    let mut acknowledged: Vec<String> =
        before.iter().flatten().flat_map(stored_event_ids).collect();
    let killer = async {
        cluster.kill(1);
        // The replica on the dead node cannot reach its database.
        let mut ready = 200;
        for _ in 0..100 {
            ready = replicas[1].status_of("/readyz").await;
            if ready == 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ready
    };
    // The clients go on through every replica while the node dies (deliver retries elsewhere).
    let (ready_while_dead, ()) = tokio::join!(killer, deliver_shuffled(replicas, rest));
    assert_eq!(
        ready_while_dead, 503,
        "the replica on a dead node is not ready"
    );
    acknowledged.extend(rest.iter().flatten().flat_map(stored_event_ids));

    cluster.restart(1).await;
    let mut ready = 0;
    for _ in 0..300 {
        ready = replicas[1].status_of("/readyz").await;
        if ready == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        ready, 200,
        "the replica is ready again once its node rejoined"
    );
    let counts = stored_counts(db).await;
    for id in &acknowledged {
        assert_eq!(counts.get(id), Some(&1), "acknowledged event {id}");
    }
    let doubled = counts.values().filter(|n| **n != 1).count();
    assert_eq!(doubled, 0);
}

/// nginx in front of three replicas, `trusted_proxies` set to it: the visitor is the client
/// nginx names in X-Forwarded-For (two clients, two visitors; no address stored), and when a
/// replica goes down nginx routes around it: every batch is still acknowledged, and stored once.
#[tokio::test]
async fn nginx_balances_replicas_and_passes_the_visitor_address() {
    let db = TestDb::create(StoreKind::MySql).await;
    let shared = clock();
    let mut replicas = Vec::new();
    for _ in 0..3 {
        let replica = Replica::spawn_with(&db.url(), &shared, |c| {
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        replicas.push(replica);
    }
    let upstreams: Vec<String> = replicas
        .iter()
        .map(|r| format!("127.0.0.1:{}", r.port()))
        .collect();
    let nginx = usage_test_support::Nginx::start(&upstreams);
    let http = reqwest::Client::new();
    let clients = ["203.0.113.7", "198.51.100.9", "203.0.113.7"];
    let sessions = workload(clients.len(), 2);
    for (session, client) in sessions.iter().zip(clients) {
        for batch in session {
            let status = replicas::post_to(
                &http,
                &nginx.address(),
                batch,
                &[("x-forwarded-for", client)],
            )
            .await;
            assert_eq!(status, 200);
        }
    }
    let visitors: u64 = db
        .scalar("SELECT COUNT(DISTINCT visitor_hash) FROM ide_sessions")
        .await;
    assert_eq!(
        visitors, 2,
        "one visitor per client address nginx forwarded"
    );
    assert_eq!(
        db.count("ide_sessions WHERE ip_address IS NOT NULL").await,
        0
    );

    // One replica goes away; nginx passes its share to the others.
    let gone = replicas.remove(1);
    gone.shutdown().await;
    let more = workload(6, 1);
    for batch in more.iter().flatten() {
        let status = replicas::post_to(&http, &nginx.address(), batch, &[]).await;
        assert_eq!(status, 200, "nginx routes around the replica that is down");
    }
    let counts = stored_counts(&db).await;
    let sent: Vec<String> = sessions
        .iter()
        .chain(&more)
        .flatten()
        .flat_map(stored_event_ids)
        .collect();
    assert_eq!(counts.len(), sent.len());
    assert!(sent.iter().all(|id| counts.get(id) == Some(&1)));
    for replica in replicas {
        replica.shutdown().await;
    }
}

/// Node 2 cut off the network loses quorum (ERROR 1047): its replica answers 503 and is not
/// ready; restarted, the node rejoins, the replica is ready and stores again, every event once.
async fn quorum_lost_on_one_node(cluster: &mut GaleraCluster, replicas: &[Replica], db: &TestDb) {
    cluster.isolate(2, true).await;
    let batches = workload(1, 2);
    let (during, after) = (&batches[0][0], &batches[0][1]);
    let mut status = 200;
    for _ in 0..150 {
        status = replicas[2].post(during).await;
        if status == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, 503, "a replica whose node lost quorum answers 503");
    assert_eq!(replicas[2].status_of("/readyz").await, 503);
    // Reconnecting a non-primary node by SQL waits on its own locks (1205): it is restarted
    // instead, and rejoins.
    cluster.kill(2);
    cluster.restart(2).await;
    deliver(&replicas[2..], 0, during).await;
    deliver(&replicas[2..], 0, after).await;
    assert_eq!(replicas[2].status_of("/readyz").await, 200);
    let counts = stored_counts(db).await;
    for id in batches.iter().flatten().flat_map(stored_event_ids) {
        assert_eq!(
            counts.get(&id),
            Some(&1),
            "stored once after quorum came back"
        );
    }
}

//! Aggregator replicas for the scale-out tests: several apps in this process, each with its own
//! writer, salt cache and connection pool, on one database (each perhaps through another Galera
//! node), sharing one hand-moved clock so that their rows can be compared with one aggregator's.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usage_aggregator::clock::ManualClock;
use usage_aggregator::config::Config;
use usage_aggregator::jobs::Jobs;
use usage_aggregator::startup::Application;

use usage_test_support::TestDb;

use crate::events::SessionScript;
use crate::server::{noon, FIREFOX};

pub struct Replica {
    pub address: String,
    pub jobs: Jobs,
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Replica {
    /// A replica writing to `database_url`.
    pub async fn spawn(database_url: &str, clock: &Arc<ManualClock>) -> Replica {
        Self::spawn_with(database_url, clock, |_| {}).await
    }

    pub async fn spawn_with(
        database_url: &str,
        clock: &Arc<ManualClock>,
        adjust: impl FnOnce(&mut Config),
    ) -> Replica {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(database_url.to_string().into()),
            flush_timeout_secs: 60,
            // The tests run the rollup themselves (`replica.jobs`); one at start, on a replica
            // of its own accord, would race the lease test's first claims and checks.
            rollup_at_start: false,
            ..Config::default()
        };
        // Every request of these tests comes from 127.0.0.1.
        config.limits.rate_limits = false;
        adjust(&mut config);
        let app = Application::build(&config, clock.clone())
            .await
            .expect("the replica builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let jobs = app.jobs();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Replica {
            address,
            jobs,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(90))
                .build()
                .unwrap(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The status of posting `batch`, 0 when the replica did not answer.
    pub async fn post(&self, batch: &Value) -> u16 {
        post_to(&self.http, &self.address, batch, &[]).await
    }

    /// The status and `Retry-After` of posting `batch` (0 and None when it did not answer).
    pub async fn post_answer(&self, batch: &Value) -> (u16, Option<String>) {
        let Ok(response) = request(&self.http, &self.address, batch, &[]).send().await else {
            return (0, None);
        };
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (response.status().as_u16(), retry_after)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.address.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub async fn status_of(&self, path: &str) -> u16 {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .send()
            .await;
        response.map_or(0, |r| r.status().as_u16())
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// Posts `batch` to the aggregator (or balancer) at `address` the way sendBeacon does; the
/// status, 0 when nothing answered.
pub async fn post_to(
    http: &reqwest::Client,
    address: &str,
    batch: &Value,
    headers: &[(&str, &str)],
) -> u16 {
    let sent = request(http, address, batch, headers).send().await;
    sent.map_or(0, |r| r.status().as_u16())
}

/// The POST of `batch` as sendBeacon sends it, with extra `headers`.
fn request(
    http: &reqwest::Client,
    address: &str,
    batch: &Value,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    let mut request = http
        .post(format!("{address}/api/v1/events"))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("user-agent", FIREFOX)
        .body(batch.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
}

/// A fixed clock for every replica of a test (and the reference aggregator).
pub fn clock() -> Arc<ManualClock> {
    ManualClock::new(noon())
}

/// `sessions` sessions of `batches` batches each: cumulative heartbeats, one run and one feature
/// per batch, the last batch ending the session.
pub fn workload(sessions: usize, batches: usize) -> Vec<Vec<Value>> {
    (0..sessions)
        .map(|_| {
            let mut script = SessionScript::new();
            (0..batches)
                .map(|b| {
                    let t = 10.0 * (b + 1) as f64;
                    let mut events = vec![script.heartbeat(t, t, t / 2.0), script.run(t, 5, None)];
                    events.push(script.feature(t, "editor.run"));
                    if b == 0 {
                        events.insert(0, script.start(1.0));
                    }
                    if b + 1 == batches {
                        events.push(script.end(t + 1.0));
                    }
                    script.batch(t + 1.0, events)
                })
                .collect()
        })
        .collect()
}

/// The event ids of a batch's runs and features (the events stored as rows of their own).
pub fn stored_event_ids(batch: &Value) -> Vec<String> {
    batch["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| matches!(e["type"].as_str(), Some("program_run" | "feature")))
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// Columns that differ between two databases holding the same data: auto-increment ids (Galera
/// steps them by the cluster size), the visitor hash (keyed by each database's random salt) and
/// the server's own timestamps.
const UNCOMPARABLE: &[&str] = &[
    "id",
    "visitor_hash",
    "created_at",
    "updated_at",
    "applied_on",
];

/// The sessions' run counters (see `comparable_dump`).
const COUNTERS: &[&str] = &["programs_run", "lines_executed", "errors_encountered"];

/// Every row of the tables the ingest writes, without the uncomparable columns (and without the
/// sessions' run counters unless `counters`), sorted: two databases that stored the same batches
/// give the same text.
pub async fn comparable_dump(db: &TestDb, counters: bool) -> String {
    let mut tables = BTreeMap::new();
    for table in ["ide_sessions", "program_executions", "feature_usage"] {
        let mut lines: Vec<String> = Vec::new();
        for row in db.rows(&format!("SELECT * FROM {table}")).await {
            let columns = row.columns();
            let values = row.unwrap();
            let line: Vec<String> = columns
                .iter()
                .zip(values)
                .filter(|(c, _)| !UNCOMPARABLE.contains(&c.name_str().as_ref()))
                .filter(|(c, _)| counters || !COUNTERS.contains(&c.name_str().as_ref()))
                .map(|(c, v)| format!("{}={}", c.name_str(), v.as_sql(true)))
                .collect();
            lines.push(line.join(" "));
        }
        lines.sort();
        tables.insert(table, lines.join("\n"));
    }
    tables
        .into_iter()
        .map(|(table, rows)| format!("## {table}\n{rows}\n"))
        .collect()
}

/// How many times each event id is stored, over runs and features.
pub async fn stored_counts(db: &TestDb) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for table in ["program_executions", "feature_usage"] {
        let sql = format!("SELECT LOWER(HEX(event_id)), COUNT(*) FROM {table} GROUP BY event_id");
        for row in db.rows(&sql).await {
            let (id, n): (String, u64) = mysql_async::from_row(row);
            *counts.entry(id).or_insert(0) += n;
        }
    }
    counts
}

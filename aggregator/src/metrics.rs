//! What the aggregator tells Prometheus (`GET /metrics`): every metric it records is named and
//! labelled here, once, so that no call site can put a raw IP, a session id or a token in a label.
//! Labels are `&'static str` from closed sets (routes as the router declares them, error variants,
//! event kinds); nothing a client sends becomes a label value.
//!
//! Recording is the `metrics` facade (an atomic add behind a hash lookup); the exporter is
//! `metrics-exporter-prometheus`, installed once per process as the global recorder, so several
//! `Application`s in one process (the tests) share it.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::flush::EventCounts;

/// Histogram samples wait in the recorder until upkeep folds them in; between scrapes this bounds
/// how many wait.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Seconds, from a fast SQLite commit (well under 1 ms) to a flush abandoned at its timeout.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0,
];
/// Requests per flush: 1 when idle, up to `max_requests_per_flush` (512 by default) under load.
const REQUESTS_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder (first call only) and returns the handle that renders it. Must run inside
/// a Tokio runtime: the first call starts the upkeep task.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("usage_flush_requests".into()),
                        REQUESTS_BUCKETS,
                    )
                })
                .expect("bucket lists are not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder already installed (an embedding program): ours still renders,
            // it just sees nothing recorded through the facade.
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics stays empty");
            }
            describe();
            let upkeep = handle.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(UPKEEP_EVERY);
                loop {
                    every.tick().await;
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "usage_http_requests_total",
        "HTTP requests answered, by route pattern and status"
    );
    describe_counter!(
        "usage_events_accepted_total",
        "Events acknowledged, by kind (heartbeat batches count as one session update each; repeated events included)"
    );
    describe_counter!(
        "usage_events_repeated_total",
        "Events of acknowledged requests whose id was stored already (a retry), so skipped, by kind"
    );
    describe_counter!(
        "usage_requests_rejected_total",
        "Requests not stored, by reason (4xx cause, privacy signal, crawler, overload, outage)"
    );
    describe_counter!(
        "usage_database_errors_total",
        "Failed database operations, by operation"
    );
    describe_gauge!(
        "usage_write_queue_depth",
        "Requests waiting for the writer when a flush started"
    );
    describe_histogram!(
        "usage_flush_requests",
        "Requests gathered into one group commit"
    );
    describe_histogram!(
        "usage_flush_write_seconds",
        Unit::Seconds,
        "Time to write one flush"
    );
    describe_histogram!(
        "usage_flush_commit_seconds",
        Unit::Seconds,
        "Time to commit one flush"
    );
    describe_gauge!(
        "usage_database_available",
        "1 while database writes succeed, 0 during an outage"
    );
    describe_gauge!(
        "usage_last_commit_timestamp_seconds",
        Unit::Seconds,
        "Unix time of the last successful commit (0: none since start)"
    );
    describe_histogram!(
        "usage_rollup_duration_seconds",
        Unit::Seconds,
        "Time of one periodic rollup and purge"
    );
    describe_counter!(
        "usage_rollup_days_total",
        "Days whose summaries were recomputed"
    );
    describe_counter!("usage_purged_rows_total", "Raw rows deleted past retention");
    describe_counter!(
        "usage_maintenance_failures_total",
        "Maintenance rounds that failed, by task"
    );
    describe_counter!("usage_salts_rotated_total", "Expired daily salts deleted");
    describe_counter!(
        "usage_sessions_ended_total",
        "Idle sessions ended by maintenance"
    );
    describe_gauge!(
        "usage_heartbeat_journal_rows",
        "Heartbeat journal rows not folded yet (counted up to 100000), as seen by this replica's last look"
    );
    describe_gauge!(
        "usage_heartbeat_journal_oldest_seconds",
        Unit::Seconds,
        "Age of the oldest unfolded heartbeat journal row (0: none), as seen by this replica's last look"
    );
    describe_gauge!(
        "usage_build_info",
        "Always 1; the version label says which build runs"
    );
}

/// Called once per process start (and harmlessly again per `Application`), after [`install`]
/// (without it, when metrics are off, it records nothing): metrics that must exist before
/// anything happens, so that alerts on them see a value rather than nothing.
pub fn started() {
    gauge!("usage_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    gauge!("usage_database_available").set(1.0);
    gauge!("usage_last_commit_timestamp_seconds").increment(0.0);
    counter!("usage_events_accepted_total", "kind" => "session").absolute(0);
    for kind in ["program_run", "feature"] {
        counter!("usage_events_repeated_total", "kind" => kind).increment(0);
    }
    counter!("usage_maintenance_failures_total", "task" => "rollup").absolute(0);
}

/// The unfolded part of the heartbeat journal, looked at after each fold tick of every replica
/// (whether it holds the fold lease or not), so that a fold that stopped shows on all of them.
pub fn journal_lag(rows: u64, oldest_age_secs: f64) {
    gauge!("usage_heartbeat_journal_rows").set(rows as f64);
    gauge!("usage_heartbeat_journal_oldest_seconds").set(oldest_age_secs);
}

/// One answered request. `route` is the router's pattern (`/api/v1/events`), never the raw path.
/// The counter's handle is looked up once per thread, route and status: `counter!` builds and
/// copies its key on every call, 2 heap allocations per request (scripts/count-per-request.sh).
/// Per thread, so no lock; a handle stays valid for the process, whose recorder is set once
/// before any request is counted (`install`), and this is called only when one is.
pub fn request(route: &'static str, status: u16) {
    thread_local! {
        static COUNTERS: std::cell::RefCell<std::collections::HashMap<(&'static str, u16), metrics::Counter>> =
            Default::default();
    }
    COUNTERS.with_borrow_mut(|counters| {
        counters
            .entry((route, status))
            .or_insert_with(|| {
                counter!("usage_http_requests_total", "route" => route, "status" => status_label(status))
            })
            .increment(1);
    });
}

/// The status as a label without allocating: the statuses this server answers.
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        202 => "202",
        204 => "204",
        206 => "206",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        408 => "408",
        413 => "413",
        415 => "415",
        422 => "422",
        429 => "429",
        500 => "500",
        503 => "503",
        504 => "504",
        s if s < 300 => "2xx",
        s if s < 400 => "3xx",
        s if s < 500 => "4xx",
        _ => "5xx",
    }
}

/// A request whose rows were not stored; `reason` names the cause from a closed set.
pub fn rejected(reason: &'static str) {
    counter!("usage_requests_rejected_total", "reason" => reason).increment(1);
}

/// Events of one acknowledged request.
pub fn accepted(programs: usize, features: usize) {
    counter!("usage_events_accepted_total", "kind" => "session").increment(1);
    if programs > 0 {
        counter!("usage_events_accepted_total", "kind" => "program_run").increment(programs as u64);
    }
    if features > 0 {
        counter!("usage_events_accepted_total", "kind" => "feature").increment(features as u64);
    }
}

/// Events of a committed flush (or isolated group) whose ids were stored already or repeated
/// within it, and so were skipped: once per commit, not per row.
pub fn repeated(events: EventCounts) {
    if events.programs > 0 {
        counter!("usage_events_repeated_total", "kind" => "program_run").increment(events.programs);
    }
    if events.features > 0 {
        counter!("usage_events_repeated_total", "kind" => "feature").increment(events.features);
    }
}

/// A flush about to be written: how many requests it gathers and how many still wait.
pub fn flush_started(requests: usize, still_queued: usize) {
    histogram!("usage_flush_requests").record(requests as f64);
    gauge!("usage_write_queue_depth").set(still_queued as f64);
}

pub fn flush_written(took: Duration) {
    histogram!("usage_flush_write_seconds").record(took.as_secs_f64());
}

pub fn flush_committed(took: Duration) {
    histogram!("usage_flush_commit_seconds").record(took.as_secs_f64());
    committed();
}

/// Any commit of ingested rows (a flush, or a group of a refused flush's isolation): the
/// "ingest stopped" alert watches this.
pub fn committed() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    gauge!("usage_last_commit_timestamp_seconds").set(now.as_secs_f64());
}

/// A failed database operation; `operation` is `write`, `commit`, `readiness`, `maintenance`...
pub fn database_error(operation: &'static str) {
    counter!("usage_database_errors_total", "operation" => operation).increment(1);
}

/// The writer's view of the database: set on each change of state only.
pub fn database_available(available: bool) {
    gauge!("usage_database_available").set(if available { 1.0 } else { 0.0 });
}

/// One periodic rollup-and-purge round that succeeded.
pub fn rollup_done(took: Duration, days: u64, rows_purged: u64) {
    histogram!("usage_rollup_duration_seconds").record(took.as_secs_f64());
    counter!("usage_rollup_days_total").increment(days);
    counter!("usage_purged_rows_total").increment(rows_purged);
}

/// A maintenance round that failed; `task` is `rollup` or `upkeep`. (Not `job`: Prometheus sets
/// that label on every scraped series and would rename ours to `exported_job`.)
pub fn maintenance_failed(task: &'static str) {
    counter!("usage_maintenance_failures_total", "task" => task).increment(1);
}

pub fn upkeep_done(sessions_ended: u64, salts_deleted: u64) {
    counter!("usage_sessions_ended_total").increment(sessions_ended);
    counter!("usage_salts_rotated_total").increment(salts_deleted);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn recorded_values_render_with_closed_labels() {
        let handle = install();
        request("/api/v1/events", 200);
        request("/api/v1/events", 299);
        rejected("origin_not_allowed");
        flush_started(3, 0);
        handle.run_upkeep();
        let text = handle.render();
        assert!(text.contains(r#"usage_http_requests_total{route="/api/v1/events",status="200"}"#));
        assert!(text.contains(r#"status="2xx""#), "{text}");
        assert!(text.contains(r#"usage_requests_rejected_total{reason="origin_not_allowed"}"#));
        assert!(
            text.contains("usage_flush_requests_bucket{le=\"4\"}"),
            "{text}"
        );
        assert!(text.contains("# HELP usage_flush_requests"), "{text}");
    }
}

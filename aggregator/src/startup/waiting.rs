//! Starting beside the database: a container started with its database (or a managed server
//! failing over) may find it unreachable for a while. `serve` then retries with backoff for at
//! most `database_wait_secs`, logging each attempt and its reason (the advice of
//! [`Store::connect`], which never holds the password), while its listener already answers
//! `/healthz` (alive: do not restart me) and `/readyz` (503 with the reason). Past the bound it
//! gives up with the last attempt's message. Only [`StoreError::Unreachable`] is waited for:
//! wrong credentials, an unknown database, a bad URL or a TLS certificate problem end the start
//! at once. SQLite never waits (a file opens or it does not).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::http::serve::{accept_until, SocketLimits};
use crate::http::{waiting_router, WaitingFor};
use crate::store::{Store, StoreError, Target};

/// The first retry comes after this; each next one after twice as long, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(5);
/// One connection attempt gives up after this (or the time left, if shorter).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait, and what the waiting routes need.
pub struct Wait {
    pub bound: Duration,
    pub retry_after_secs: u64,
    pub socket_limits: SocketLimits,
    /// The recorder's handle, None when metrics are off.
    pub metrics: Option<PrometheusHandle>,
}

/// Connects to the store `url` names, waiting for it as the module says. The listener is lent
/// to the waiting routes meanwhile and handed back.
pub async fn connect(
    target: &Target,
    wait: &Wait,
    listener: TcpListener,
) -> Result<(Store, TcpListener), StoreError> {
    let first = match Store::open(target).await {
        Ok(store) => return Ok((store, listener)),
        Err(StoreError::Unreachable(reason)) if !wait.bound.is_zero() => reason,
        Err(other) => return Err(other),
    };
    // The waiting routes render `usage_database_available 0`.
    crate::metrics::database_available(false);
    let started = Instant::now();
    let waiting: WaitingFor = Arc::new(RwLock::new(String::new()));
    let (connected, stop_probes) = oneshot::channel::<()>();
    let router = waiting_router(waiting.clone(), wait.retry_after_secs, wait.metrics.clone());
    let address = listener
        .local_addr()
        .map_err(|e| StoreError::Setup(format!("the listener has no address: {e}")))?;
    let limits = wait.socket_limits;
    let probes = tokio::spawn(async move {
        let open = accept_until(&listener, router, limits, async {
            let _ = stop_probes.await;
        })
        .await;
        (listener, open)
    });
    tracing::info!(address = %address, waiting_for_database = true, "serving");
    let outcome = retry(target, wait.bound, started, first, &waiting).await;
    let _ = connected.send(());
    let (listener, open) = probes
        .await
        .map_err(|e| StoreError::Setup(format!("the probe server stopped: {e}")))?;
    // Probe connections end after their current request; nothing waits for them.
    tokio::spawn(open.shutdown());
    outcome.map(|store| (store, listener))
}

/// Attempts until one succeeds, one fails for good, or `bound` has passed since `started`.
async fn retry(
    target: &Target,
    bound: Duration,
    started: Instant,
    first: String,
    waiting: &WaitingFor,
) -> Result<Store, StoreError> {
    let mut attempt = 1u32;
    let mut reason = first;
    let mut delay = FIRST_DELAY;
    loop {
        let left = bound.saturating_sub(started.elapsed());
        let pause = delay.min(left);
        say_why(waiting, attempt, started, bound, &reason);
        tracing::warn!(
            attempt,
            %reason,
            retry_in = ?pause,
            gives_up_in = ?left,
            "the database cannot be reached yet"
        );
        if left.is_zero() {
            return Err(StoreError::Unreachable(format!(
                "{reason} (gave up after waiting {} s and {attempt} attempts: database_wait_secs, USAGE_DATABASE_WAIT_SECS)",
                bound.as_secs()
            )));
        }
        tokio::time::sleep(pause).await;
        attempt += 1;
        let limit = ATTEMPT_TIMEOUT.min(bound.saturating_sub(started.elapsed()).max(FIRST_DELAY));
        match tokio::time::timeout(limit, Store::open(target)).await {
            Ok(Ok(store)) => {
                tracing::info!(
                    attempt,
                    waited = ?started.elapsed(),
                    "the database answers: starting"
                );
                return Ok(store);
            }
            Ok(Err(StoreError::Unreachable(next))) => reason = next,
            Ok(Err(other)) => return Err(other),
            Err(_) => reason = format!("a connection attempt did not finish within {limit:?}"),
        }
        delay = (delay * 2).min(MAX_DELAY);
    }
}

fn say_why(waiting: &WaitingFor, attempt: u32, started: Instant, bound: Duration, reason: &str) {
    let text = format!(
        "waiting for the database ({attempt} attempt(s) in {} s, giving up after {} s): {reason}",
        started.elapsed().as_secs(),
        bound.as_secs()
    );
    if let Ok(mut shown) = waiting.write() {
        *shown = text;
    }
}

//! Starting beside the database: a container started with its database (or a managed server
//! failing over) may find it unreachable for a while. `serve` then retries with backoff for at
//! most `database_wait_secs`, logging each attempt and its reason (the advice of
//! [`Store::connect`], which never holds the password), while its listener already answers
//! `/healthz` (alive: do not restart me) and `/readyz` (503, "waiting for the database": the
//! reason names the account, host and database, so only the log has it). Past the bound it
//! gives up with the last attempt's message. Only [`StoreError::Unreachable`] is waited for:
//! wrong credentials, an unknown database, a bad URL or a TLS certificate problem end the start
//! at once. SQLite never waits (a file opens or it does not).

use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::http::metrics::Placement;
use crate::http::serve::{accept_until, SocketLimits};
use crate::http::waiting_router;
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
    /// Where `/metrics` is answered (the waiting routes serve it when it is placed beside them).
    pub metrics: Placement,
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
    let (connected, stop_probes) = oneshot::channel::<()>();
    let router = waiting_router(wait.retry_after_secs, wait.metrics.clone());
    let address = listener
        .local_addr()
        .map_err(|e| StoreError::Setup(format!("the listener has no address: {e}")))?;
    let limits = wait.socket_limits.clone();
    let probes = tokio::spawn(async move {
        let open = accept_until(&listener, router, limits, async {
            let _ = stop_probes.await;
        })
        .await;
        (listener, open)
    });
    tracing::info!(address = %address, waiting_for_database = true, "serving");
    let outcome = retry(target, wait.bound, started, first).await;
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
) -> Result<Store, StoreError> {
    let mut attempt = 1u32;
    let mut reason = first;
    let mut delay = FIRST_DELAY;
    loop {
        let left = bound.saturating_sub(started.elapsed());
        let pause = delay.min(left);
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

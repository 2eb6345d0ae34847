//! The load generator: closed loop (N sessions, each sends its next request when the last one
//! was answered) and open loop (a fixed arrival rate, latency measured from the scheduled send
//! time so that a slow server cannot hide its queueing). Every loop is bounded in count and time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::http::Conn;

pub const PATH: &str = "/api/v1/events";
/// A request not answered within this counts as an error: 5 s, or BENCH_REQUEST_TIMEOUT_SECS
/// (scripts/count-per-request.sh, whose server runs under valgrind, far slower).
fn request_timeout() -> Duration {
    static TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *TIMEOUT.get_or_init(|| {
        let secs = std::env::var("BENCH_REQUEST_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5);
        Duration::from_secs(secs)
    })
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies of the answered requests, microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q`-quantile latency in milliseconds (0 when nothing was answered).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let at = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[at]) / 1000.0
    }
}

/// Body of request `i` of session `session` (both counted from 0).
pub type MakeBody = Arc<dyn Fn(u64, u64) -> Vec<u8> + Send + Sync>;

/// `sessions` concurrent sessions, each on its own connection, each sending at most
/// `per_session` requests, all stopping after `duration`.
pub async fn closed_loop(
    addr: SocketAddr,
    sessions: u64,
    per_session: u64,
    duration: Duration,
    body: MakeBody,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for session in 0..sessions {
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            let Ok(mut conn) = Conn::connect(addr).await else {
                outcome.errors += 1;
                return outcome;
            };
            for i in 0..per_session {
                if Instant::now() >= deadline {
                    break;
                }
                let payload = body(session, i);
                let sent = Instant::now();
                match tokio::time::timeout(request_timeout(), conn.post(PATH, &payload)).await {
                    Ok(Ok(200)) => {
                        outcome.ok += 1;
                        outcome.latencies_us.push(micros(sent.elapsed()));
                    }
                    Ok(Ok(_)) => outcome.errors += 1,
                    Ok(Err(_)) | Err(_) => {
                        outcome.errors += 1;
                        match Conn::connect(addr).await {
                            Ok(fresh) => conn = fresh,
                            Err(_) => break,
                        }
                    }
                }
            }
            outcome
        }));
    }
    let mut total = Outcome::default();
    for task in tasks {
        let part = task.await?;
        total.ok += part.ok;
        total.errors += part.errors;
        total.latencies_us.extend(part.latencies_us);
    }
    total.elapsed = started.elapsed();
    total.latencies_us.sort_unstable();
    Ok(total)
}

/// `rate` requests per second for `duration`, over at most `max_conns` connections; request `i`
/// gets `body(i, 0)`. Waits at most `request_timeout()` after the last scheduled send.
pub async fn open_loop(
    addr: SocketAddr,
    rate: f64,
    duration: Duration,
    max_conns: usize,
    body: MakeBody,
) -> anyhow::Result<Outcome> {
    let total = (rate * duration.as_secs_f64()) as u64;
    let idle: Arc<Mutex<Vec<Conn>>> = Arc::new(Mutex::new(Vec::new()));
    let permits = Arc::new(Semaphore::new(max_conns));
    let ok = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let started = Instant::now();
    for i in 0..total {
        let due = started + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let (idle, permits, ok, errors, latencies) = (
            idle.clone(),
            permits.clone(),
            ok.clone(),
            errors.clone(),
            latencies.clone(),
        );
        let payload = body(i, 0);
        tokio::spawn(async move {
            let answered = tokio::time::timeout(request_timeout(), async {
                let _permit = permits.acquire().await.ok()?;
                let pooled = idle.lock().expect("pool lock").pop();
                let mut conn = match pooled {
                    Some(conn) => conn,
                    None => Conn::connect(addr).await.ok()?,
                };
                let status = conn.post(PATH, &payload).await.ok()?;
                idle.lock().expect("pool lock").push(conn);
                Some(status)
            })
            .await;
            if let Ok(Some(200)) = answered {
                ok.fetch_add(1, Ordering::Relaxed);
                latencies
                    .lock()
                    .expect("latency lock")
                    .push(micros(due.elapsed()));
            } else {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let give_up = Instant::now() + request_timeout() + Duration::from_secs(1);
    while ok.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed) < total
        && Instant::now() < give_up
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = ok.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed);
    let mut latencies_us = std::mem::take(&mut *latencies.lock().expect("latency lock"));
    latencies_us.sort_unstable();
    Ok(Outcome {
        ok: ok.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed) + (total - done),
        elapsed: duration,
        latencies_us,
    })
}

fn micros(span: Duration) -> u32 {
    u32::try_from(span.as_micros()).unwrap_or(u32::MAX)
}

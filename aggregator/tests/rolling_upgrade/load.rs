//! Clients posting through a load balancer while the instances behind it come and go: each
//! client runs whole sessions (start, cumulative heartbeats, a program run and a feature per
//! batch, end), every batch to a random live instance, retrying a 503 or an unanswered request
//! on another one as the real client retries it later; what was acknowledged (200) is tallied.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::replicas::{post_to, stored_event_ids, workload};

/// Batches per session: the first starts it, the last ends it.
pub const BATCHES_PER_SESSION: usize = 4;

/// How long a client waits before posting a batch again (the real client waits longer, for
/// `Retry-After`; the outcome is the same, and the test stays short).
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// The pause between a client's batches, so that the load spans the rollout's phases without
/// flooding a 2-core machine.
const BETWEEN_BATCHES: Duration = Duration::from_millis(15);

/// The instances requests may go to, as a Kubernetes Service's endpoints.
#[derive(Default)]
pub struct Balancer {
    live: Mutex<Vec<String>>,
}

impl Balancer {
    pub fn add(&self, address: &str) {
        self.live.lock().unwrap().push(address.to_string());
    }

    pub fn remove(&self, address: &str) {
        self.live.lock().unwrap().retain(|a| a != address);
    }

    fn pick(&self) -> Option<String> {
        let live = self.live.lock().unwrap();
        (!live.is_empty()).then(|| live[rand::random_range(0..live.len())].clone())
    }
}

/// What the clients saw.
#[derive(Default)]
pub struct Tally {
    /// The stored-as-rows events (runs, features) of every acknowledged batch.
    pub acknowledged: Mutex<Vec<String>>,
    pub batches: AtomicUsize,
    pub sessions: AtomicUsize,
    /// 503s, retried.
    pub unavailable: AtomicUsize,
    /// Requests nothing answered (an instance stopped or killed under them), retried.
    pub unanswered: AtomicUsize,
    /// Any other status: (status, address).
    pub wrong: Mutex<Vec<(u16, String)>>,
}

impl Tally {
    /// Waits until `more` batches beyond those acknowledged now are acknowledged (progress, not
    /// time: the phases are as long as the machine needs).
    pub async fn wait_for(&self, more: usize) {
        let goal = self.batches.load(Ordering::SeqCst) + more;
        for _ in 0..1200 {
            if self.batches.load(Ordering::SeqCst) >= goal {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the clients made no progress for two minutes");
    }
}

/// Clients posting sessions until `stop`; each finishes the session it is in before it returns.
pub struct Load {
    stop: Arc<AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub fn start(clients: usize, balancer: Arc<Balancer>, tally: Arc<Tally>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            .build()
            .unwrap();
        let clients = (0..clients)
            .map(|_| {
                let (stop, balancer, tally, http) =
                    (stop.clone(), balancer.clone(), tally.clone(), http.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        let session = workload(1, BATCHES_PER_SESSION).remove(0);
                        for batch in &session {
                            deliver(&http, &balancer, &tally, batch).await;
                            tokio::time::sleep(BETWEEN_BATCHES).await;
                        }
                        tally.sessions.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Stops the clients once their sessions are complete.
    pub async fn finish(self) {
        self.stop.store(true, Ordering::SeqCst);
        for client in self.clients {
            client.await.expect("a client panicked");
        }
    }
}

/// Posts `batch` until an instance acknowledges it or refuses it for good (anything but 503 and
/// no answer, which the tally's `wrong` keeps).
async fn deliver(http: &reqwest::Client, balancer: &Balancer, tally: &Tally, batch: &Value) {
    for _ in 0..600 {
        let Some(address) = balancer.pick() else {
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        match post_to(http, &address, batch, &[]).await {
            200 => {
                let ids = stored_event_ids(batch);
                tally.acknowledged.lock().unwrap().extend(ids);
                tally.batches.fetch_add(1, Ordering::SeqCst);
                return;
            }
            503 => tally.unavailable.fetch_add(1, Ordering::SeqCst),
            0 => tally.unanswered.fetch_add(1, Ordering::SeqCst),
            status => {
                tally.wrong.lock().unwrap().push((status, address));
                return;
            }
        };
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    panic!("no instance acknowledged a batch within a minute");
}

//! The bound that stops figure c, derived from CPU measured in the same run: the CPU seconds a
//! heartbeat costs the server, mariadbd and the load generator together, and the request rate
//! (and sessions at a 15 s heartbeat) that the machine's cores could sustain at most at that
//! cost, were nothing else running.

use crate::phases::Cpu;

/// A heartbeat's period in the browser client (15 s): sessions = requests per second × 15.
const HEARTBEAT_SECS: f64 = 15.0;

/// CPU per answered request of one phase, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct PerRequest {
    pub server_us: f64,
    pub db_us: f64,
    pub load_us: f64,
}

impl PerRequest {
    /// What `cpu` measured since its start, over `requests` answered requests.
    pub fn of(cpu: &Cpu, requests: u64) -> PerRequest {
        let [server, db, load] = cpu.used();
        let us = |secs: f64| secs * 1e6 / requests.max(1) as f64;
        PerRequest {
            server_us: us(server),
            db_us: us(db),
            load_us: us(load),
        }
    }

    pub fn total_us(&self) -> f64 {
        self.server_us + self.db_us + self.load_us
    }

    /// Requests per second the machine's cores could serve at most at this cost.
    pub fn max_rate(&self) -> f64 {
        cores() as f64 * 1e6 / self.total_us().max(f64::MIN_POSITIVE)
    }

    /// "82 us per heartbeat (aggregator 39, mariadbd 32, load generator 11) -> at most 24390
    /// req/s on 2 cores = 365853 sessions"
    pub fn describe(&self, server: &str) -> String {
        let rate = self.max_rate();
        format!(
            "{:.0} us per heartbeat ({server} {:.1}, mariadbd {:.1}, load generator {:.1}) -> at most {rate:.0} req/s on {} cores = {:.0} sessions",
            self.total_us(),
            self.server_us,
            self.db_us,
            self.load_us,
            cores(),
            rate * HEARTBEAT_SECS
        )
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What figure b measured, for c's bound.
#[derive(Debug, Clone, Copy)]
pub struct FromB {
    pub aggregator: PerRequest,
    pub bare: PerRequest,
    /// Whether b's aggregator had the heartbeat journal on.
    pub journal: bool,
}

impl FromB {
    pub fn describe(&self) -> String {
        format!(
            "CPU bound from b (journal {}): {}; the bare handler's bound: {}",
            on_off(self.journal),
            self.aggregator.describe("aggregator"),
            self.bare.describe("bare axum")
        )
    }
}

pub fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

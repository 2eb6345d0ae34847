//! The disk's own latency while a phase runs: a probe writes 4 KiB and fsyncs it every 20 ms in
//! MariaDB's folder. Every acknowledged request waits for at least one such sync (the commit),
//! so the probe's p99 is a floor under the requests' p99 that no aggregator can go below.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Probe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<u32>>,
}

impl Probe {
    /// Starts probing in `dir`; stops by itself after `limit` at the latest.
    pub fn start(dir: &Path, limit: Duration) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let path = dir.join("fsync-probe");
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut latencies = Vec::new();
            let Ok(mut file) = std::fs::File::create(&path) else {
                return latencies;
            };
            let started = Instant::now();
            let block = [7u8; 4096];
            while !flag.load(Ordering::Relaxed) && started.elapsed() < limit {
                let at = Instant::now();
                if file
                    .write_all(&block)
                    .and_then(|()| file.sync_data())
                    .is_err()
                {
                    break;
                }
                latencies.push(u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX));
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = std::fs::remove_file(&path);
            latencies
        });
        Probe { stop, thread }
    }

    /// Stops; returns "disk fsync p50 x ms, p99 y ms, max z ms" and the longest sync in ms.
    pub fn finish(self) -> (String, f64) {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = self.thread.join().unwrap_or_default();
        if latencies.is_empty() {
            return ("disk fsync: no sample".into(), 0.0);
        }
        latencies.sort_unstable();
        let at =
            |q: f64| f64::from(latencies[((latencies.len() - 1) as f64 * q) as usize]) / 1000.0;
        let text = format!(
            "disk fsync p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            at(0.5),
            at(0.99),
            at(1.0)
        );
        (text, at(1.0))
    }
}

//! Ports for the servers tests start (MariaDB, Galera, nginx, Prometheus): free ones *below* the
//! kernel's ephemeral range. A port taken by binding port 0 comes from that range, and between
//! the probe closing it and the server binding it, any outgoing connection on the machine (the
//! suite makes thousands) may take it as its source port: the server then fails to start. This
//! is the suspected cause of figure i's Galera node that failed its state transfer at start in
//! BENCHMARKS.md's run of record. No outgoing connection takes a port below the range.

use std::net::TcpListener;
use std::ops::Range;

/// Lowest port handed out: clear of the well-known and common service ports.
const FLOOR: u16 = 20_000;

/// The kernel's ephemeral range, `low high` in `/proc/sys/net/ipv4/ip_local_port_range`
/// (Linux's default 32768 60999 when it cannot be read).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}

/// The ports this machine's kernel never picks for an outgoing connection, above `FLOOR` (a
/// machine whose range starts below `FLOOR + 1000` gets 1,000 ports from `FLOOR`, racy as before).
fn candidates(ephemeral_low: u16) -> Range<u16> {
    let top = ephemeral_low.max(FLOOR + 1_000);
    FLOOR..top
}

/// A port that was free a moment ago, below the ephemeral range. Each search starts at a random
/// place, so parallel tests rarely try the same port; a port another test holds fails to bind
/// and the search moves on (a port probed but not yet bound by its server is the remaining race,
/// between tests only, and as rare as two random draws meeting).
pub fn free_port() -> Result<u16, String> {
    let range = candidates(ephemeral_low());
    let span = u32::from(range.end - range.start);
    let start = rand::random::<u32>();
    for i in 0..span {
        let port = range.start + (start.wrapping_add(i) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(format!("no free port in {range:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_from_below_the_ephemeral_range_and_are_free() {
        let low = ephemeral_low();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let port = free_port().unwrap();
            assert!((FLOOR..low.max(FLOOR + 1_000)).contains(&port), "{port}");
            TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
            seen.insert(port);
        }
        assert!(
            seen.len() > 40,
            "calls spread over the range: {}",
            seen.len()
        );
    }

    #[test]
    fn a_kernel_range_starting_low_still_leaves_room() {
        assert_eq!(candidates(32_768), 20_000..32_768);
        assert_eq!(candidates(1_024), 20_000..21_000);
    }
}

//! What to do with a send's outcome (keep, drop or retry, per docs/api.md) and when to retry:
//! exponential backoff with jitter, never sooner than the server's `Retry-After`.

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// The request never got an answer (offline, DNS, CORS, aborted).
    NetworkError,
    /// An HTTP status and the `Retry-After` delay in ms, if the server sent a usable one.
    Status(u16, Option<f64>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// 2xx: stored (200) or deliberately dropped by the server (202); forget the batch.
    Done,
    /// Another 4xx (or an unexpected status): the batch will never be accepted; drop it.
    Reject,
    /// Network error, 5xx or 429: keep the batch and try again after the given delay (ms).
    Retry(f64),
}

/// Upper bound for a `Retry-After` we obey, so a broken header cannot park the queue for days
/// (events stay stored and go out on a later page load anyway).
const MAX_RETRY_AFTER_MS: f64 = 3_600_000.0;

#[derive(Debug, Clone)]
pub struct Backoff {
    base_ms: f64,
    max_ms: f64,
    failures: u32,
}

impl Backoff {
    pub fn new(base_ms: f64, max_ms: f64) -> Self {
        let base_ms = if base_ms > 0.0 { base_ms } else { 1000.0 };
        Backoff {
            base_ms,
            max_ms: if max_ms >= base_ms { max_ms } else { base_ms },
            failures: 0,
        }
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The un-jittered delay after `failures` consecutive failures: base * 2^(failures-1), capped.
    pub fn ceiling(&self, failures: u32) -> f64 {
        let exp = failures.saturating_sub(1).min(30);
        let d = self.base_ms * f64::from(1u32 << exp);
        if d > self.max_ms {
            self.max_ms
        } else {
            d
        }
    }

    /// Classifies an outcome. For a retry, `unit` (a random number in [0, 1)) spreads the delay
    /// over [ceiling/2, ceiling) ("equal jitter") so many clients hit by the same outage do not
    /// come back in lockstep; the delay is at least the server's Retry-After.
    pub fn judge(&mut self, outcome: Outcome, unit: f64) -> Verdict {
        let retry_after = match outcome {
            Outcome::Status(s, _) if (200..300).contains(&s) => {
                self.failures = 0;
                return Verdict::Done;
            }
            Outcome::Status(s, ra) if s == 429 || (500..600).contains(&s) => ra,
            Outcome::NetworkError => None,
            Outcome::Status(..) => {
                // A rejected batch says nothing about the server's health.
                self.failures = 0;
                return Verdict::Reject;
            }
        };
        self.failures = self.failures.saturating_add(1);
        let ceiling = self.ceiling(self.failures);
        let unit = if (0.0..1.0).contains(&unit) {
            unit
        } else {
            0.5
        };
        let mut delay = ceiling / 2.0 + unit * ceiling / 2.0;
        if let Some(ra) = retry_after {
            let ra = if ra > MAX_RETRY_AFTER_MS {
                MAX_RETRY_AFTER_MS
            } else {
                ra
            };
            if ra > delay {
                delay = ra;
            }
        }
        Verdict::Retry(delay)
    }
}

/// Parses a `Retry-After` given in seconds into ms. The HTTP-date form is handled by the browser
/// glue (it needs the JS date parser); this covers what the aggregator sends.
pub fn retry_after_seconds(value: &str) -> Option<f64> {
    let v = super::json::parse_u64(value.trim_ascii())?;
    Some(v.min(1 << 31) as f64 * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_schedule_with_cap() {
        let b = Backoff::new(1000.0, 60_000.0);
        let c: alloc::vec::Vec<f64> = (1..=8).map(|n| b.ceiling(n)).collect();
        assert_eq!(
            c,
            [1000.0, 2000.0, 4000.0, 8000.0, 16000.0, 32000.0, 60000.0, 60000.0]
        );
        assert_eq!(b.ceiling(1000), 60000.0);
    }

    #[test]
    fn jitter_stays_within_half_to_full_ceiling() {
        let mut b = Backoff::new(1000.0, 300_000.0);
        for (n, unit) in [(1u32, 0.0), (2, 0.999), (3, 0.5)] {
            let Verdict::Retry(d) = b.judge(Outcome::NetworkError, unit) else {
                panic!("network errors are retried");
            };
            let ceil = b.ceiling(n);
            assert!(d >= ceil / 2.0 && d < ceil, "attempt {n}: {d} vs {ceil}");
        }
        assert_eq!(b.failures(), 3);
        // Different random numbers give different delays.
        let mut x = Backoff::new(1000.0, 300_000.0);
        let mut y = Backoff::new(1000.0, 300_000.0);
        assert_ne!(
            x.judge(Outcome::NetworkError, 0.1),
            y.judge(Outcome::NetworkError, 0.9)
        );
    }

    #[test]
    fn classifies_statuses() {
        let mut b = Backoff::new(1000.0, 300_000.0);
        assert_eq!(b.judge(Outcome::Status(200, None), 0.5), Verdict::Done);
        assert_eq!(b.judge(Outcome::Status(202, None), 0.5), Verdict::Done);
        for s in [400u16, 403, 404, 413, 415, 422] {
            assert_eq!(
                b.judge(Outcome::Status(s, None), 0.5),
                Verdict::Reject,
                "{s}"
            );
        }
        for s in [429u16, 500, 502, 503] {
            assert!(
                matches!(b.judge(Outcome::Status(s, None), 0.5), Verdict::Retry(_)),
                "{s}"
            );
        }
        // Success resets the schedule.
        assert_eq!(b.failures(), 4);
        b.judge(Outcome::Status(200, None), 0.5);
        assert_eq!(b.failures(), 0);
    }

    #[test]
    fn honours_retry_after_but_caps_it() {
        let mut b = Backoff::new(1000.0, 300_000.0);
        assert_eq!(
            b.judge(Outcome::Status(503, Some(30_000.0)), 0.0),
            Verdict::Retry(30_000.0)
        );
        // A short Retry-After does not shorten the backoff.
        let Verdict::Retry(d) = b.judge(Outcome::Status(503, Some(10.0)), 0.0) else {
            panic!("503 is retried");
        };
        assert_eq!(d, 1000.0);
        assert_eq!(
            b.judge(Outcome::Status(429, Some(1e12)), 0.0),
            Verdict::Retry(MAX_RETRY_AFTER_MS)
        );
    }

    #[test]
    fn parses_retry_after_seconds() {
        assert_eq!(retry_after_seconds("5"), Some(5000.0));
        assert_eq!(retry_after_seconds(" 120 "), Some(120_000.0));
        assert_eq!(retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after_seconds("-1"), None);
    }
}

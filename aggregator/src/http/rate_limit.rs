//! Rate limits (governor's GCRA, one keyed limiter per rule): ingest per client and per site,
//! refused stats API requests per client. Clients are counted by [`ClientKey`], a keyed hash from the visitor
//! module, never by their address. Over a limit the answer is 429 with `Retry-After`, which the
//! browser client honours. Keys not seen for a while are forgotten every minute, so a flood of
//! distinct keys holds memory for a minute at most.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;
use crate::config::limits::Limits;
use crate::visitor::limit_key::{ClientKey, LimitKeyer};
use crate::visitor::ClientAddr;

const FORGET_EVERY: Duration = Duration::from_secs(60);

pub struct RateLimits {
    keyer: LimitKeyer,
    ingest_client: DefaultKeyedRateLimiter<ClientKey>,
    ingest_site: DefaultKeyedRateLimiter<String>,
    stats_client: DefaultKeyedRateLimiter<ClientKey>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(at_least_one(per_minute)).allow_burst(at_least_one(burst))
}

impl RateLimits {
    /// The limits as configured, or None when they are switched off. Starts the task that
    /// forgets idle keys; it ends when the limits are dropped.
    pub fn new(limits: &Limits) -> Option<Arc<RateLimits>> {
        if !limits.rate_limits {
            return None;
        }
        let rate_limits = Arc::new(RateLimits {
            keyer: LimitKeyer::default(),
            ingest_client: RateLimiter::keyed(quota(
                limits.ingest_per_client_per_minute,
                limits.ingest_client_burst,
            )),
            ingest_site: RateLimiter::keyed(quota(
                limits.ingest_per_site_per_minute,
                limits.ingest_site_burst,
            )),
            stats_client: RateLimiter::keyed(quota(
                limits.stats_per_client_per_minute,
                limits.stats_client_burst,
            )),
        });
        tokio::spawn(forget_idle_keys(Arc::downgrade(&rate_limits)));
        Some(rate_limits)
    }

    /// How the logs may name a client.
    pub fn key_of(&self, client: &ClientAddr) -> ClientKey {
        self.keyer.key(client)
    }

    pub fn ingest_from(&self, client: &ClientAddr) -> Result<(), ApiError> {
        check(&self.ingest_client, &self.key_of(client), "this client")
    }

    pub fn ingest_for(&self, site: &str) -> Result<(), ApiError> {
        check(&self.ingest_site, &site.to_string(), "this site")
    }

    /// Counts a refused stats API request (no or a wrong token); Err once the client has been
    /// refused too often. Requests with the right token are never counted.
    pub fn stats_refusal_from(&self, client: &ClientAddr) -> Result<(), ApiError> {
        check(&self.stats_client, &self.key_of(client), "this client")
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
    whose: &'static str,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::TooManyRequests {
            whose,
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

async fn forget_idle_keys(limits: Weak<RateLimits>) {
    let mut every = tokio::time::interval(FORGET_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(limits) = limits.upgrade() else {
            return;
        };
        limits.ingest_client.retain_recent();
        limits.ingest_client.shrink_to_fit();
        limits.ingest_site.retain_recent();
        limits.ingest_site.shrink_to_fit();
        limits.stats_client.retain_recent();
        limits.stats_client.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_passes_then_429_with_a_retry_after() {
        let limits = Limits {
            ingest_per_site_per_minute: 1,
            ingest_site_burst: 2,
            ..Limits::default()
        };
        let rate_limits = RateLimits::new(&limits).unwrap();
        assert!(rate_limits.ingest_for("ide").is_ok());
        assert!(rate_limits.ingest_for("ide").is_ok());
        match rate_limits.ingest_for("ide") {
            Err(ApiError::TooManyRequests {
                retry_after_secs, ..
            }) => assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}"),
            other => panic!("{other:?}"),
        }
        assert!(
            rate_limits.ingest_for("other").is_ok(),
            "another site is not held back"
        );
        let off = Limits {
            rate_limits: false,
            ..Limits::default()
        };
        assert!(RateLimits::new(&off).is_none());
    }
}

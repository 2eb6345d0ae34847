//! The ingest's gate on new site ids (`domain::new_sites`), when no allowlist names the sites:
//! the ids the database knows are read once at start (`startup`), then each batch is checked in
//! memory, so the ingest never waits on a read for it (a stalled database still answers 503 from
//! the writer's queue, not a hung request). Per replica: with N replicas, up to N × the cap new
//! ids a day.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::ApiError;
use crate::domain::new_sites::{NewSites, Verdict};

pub struct SiteGate {
    cap: u32,
    state: Mutex<NewSites>,
}

impl SiteGate {
    /// A gate admitting `cap` new site ids per UTC day (0: no gate), knowing `known`.
    pub fn new(cap: u32, known: Vec<String>) -> SiteGate {
        SiteGate {
            cap,
            state: Mutex::new(NewSites::new(cap, known)),
        }
    }

    /// Ok for a known site or a new one within today's cap; a 422 beyond it.
    pub fn check(&self, site: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        if self.cap == 0 {
            return Ok(());
        }
        let verdict = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check(site, now.date_naive());
        match verdict {
            Verdict::Known | Verdict::Admitted => Ok(()),
            Verdict::Refused => Err(ApiError::TooManyNewSites { cap: self.cap }),
        }
    }
}

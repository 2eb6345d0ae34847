//! The ingest's gate on new site ids (`domain::new_sites`), when no allowlist names the sites:
//! the ids the database knows are loaded on the first batch, then each batch is checked in
//! memory. Per replica: with N replicas, up to N × the cap new ids a day.

use std::sync::Mutex;

use chrono::{DateTime, Days, Utc};
use tokio::sync::OnceCell;

use super::ApiError;
use crate::domain::new_sites::{NewSites, Verdict};
use crate::store::Store;

pub struct SiteGate {
    cap: u32,
    state: OnceCell<Mutex<NewSites>>,
}

impl SiteGate {
    /// A gate admitting `cap` new site ids per UTC day (0: no gate).
    pub fn new(cap: u32) -> SiteGate {
        SiteGate {
            cap,
            state: OnceCell::new(),
        }
    }

    /// Ok for a known site or a new one within today's cap; a 422 beyond it.
    pub async fn check(
        &self,
        store: &Store,
        site: &str,
        now: DateTime<Utc>,
        retry_after_secs: u64,
    ) -> Result<(), ApiError> {
        if self.cap == 0 {
            return Ok(());
        }
        let state = self
            .state
            .get_or_try_init(|| async {
                // Sessions since yesterday: sites not rolled up yet (the summaries know the rest).
                let since = now.date_naive() - Days::new(1);
                let known = store.known_sites(since).await?;
                Ok::<_, crate::store::StoreError>(Mutex::new(NewSites::new(self.cap, known)))
            })
            .await
            .map_err(|e| ApiError::unavailable(e, retry_after_secs))?;
        let verdict = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .check(site, now.date_naive());
        match verdict {
            Verdict::Known | Verdict::Admitted => Ok(()),
            Verdict::Refused => Err(ApiError::TooManyNewSites { cap: self.cap }),
        }
    }
}

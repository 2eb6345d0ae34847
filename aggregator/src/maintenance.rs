//! Periodic upkeep inside `serve`: ending idle sessions and deleting expired salts.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::store::{Store, StoreError};
use crate::visitor::SaltBook;

#[derive(Clone)]
pub struct Maintenance {
    pub store: Store,
    pub salts: Arc<SaltBook>,
    pub clock: SharedClock,
    pub idle_timeout: chrono::Duration,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub sessions_ended: u64,
    pub salts_deleted: u64,
}

impl Maintenance {
    pub async fn run_once(&self) -> Result<Round, StoreError> {
        let now = self.clock.now();
        let sessions_ended = self
            .store
            .end_idle_sessions(now - self.idle_timeout)
            .await?;
        let salts_deleted = self.salts.rotate(now.date_naive()).await?;
        Ok(Round {
            sessions_ended,
            salts_deleted,
        })
    }

    /// Runs a round every `every` until the task is aborted.
    pub fn spawn(self, every: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.run_once().await {
                    Ok(round) if round != Round::default() => tracing::info!(?round, "maintenance"),
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "maintenance round failed; will retry"),
                }
            }
        })
    }
}

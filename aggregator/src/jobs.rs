//! The periodic jobs of `serve`: upkeep (ending idle sessions, deleting expired salts; every
//! `maintenance_interval_secs`) and the reports (the daily rollup, then retention; every
//! `rollup_interval_secs`, under a lease so that one replica at a time runs them), and with
//! `heartbeat_journal` on, the journal's fold every second (`crate::fold`, its own lease).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::fold::{Folder, FOLD_EVERY, FOLD_LEASE, FOLD_LEASE_TTL};
use crate::metrics;
use crate::report::Reports;
use crate::store::{Folded, Lease, Store, StoreError};
use crate::visitor::SaltBook;

#[derive(Clone)]
pub struct Jobs {
    pub store: Store,
    pub salts: Arc<SaltBook<Store>>,
    pub clock: SharedClock,
    pub idle_timeout: chrono::Duration,
    pub reports: Reports,
    pub rollup_every: Duration,
    /// This replica's name in the rollup lease (random at startup).
    pub replica_id: String,
    /// Roll up once as `serve` starts (`rollup_at_start`), then every `rollup_every`.
    pub rollup_at_start: bool,
    /// Folds the heartbeat journal: every second while `heartbeat_journal` is on, and first
    /// in the sweep and the rollup always (rows a replica left before the knob went off).
    pub folder: Folder,
    /// `heartbeat_journal`: fold every [`FOLD_EVERY`].
    pub fold_often: bool,
}

/// The lease that lets one replica at a time run the rollup and retention.
pub const REPORTS_LEASE: &str = "rollup";

/// How long a claim of it lasts: far longer than a rollup takes, short enough that a replica
/// that died holding it delays the next round by minutes only (it is released when done).
pub const REPORTS_LEASE_TTL: Duration = Duration::from_secs(600);

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub sessions_ended: u64,
    pub salts_deleted: u64,
    pub days_rolled_up: u64,
    pub rows_purged: u64,
}

impl Jobs {
    /// Every step once: upkeep, then the rollup and retention.
    pub async fn run_once(&self) -> Result<Round, StoreError> {
        let upkeep = self.run_upkeep().await?;
        let reports = self.run_reports().await?;
        Ok(Round {
            days_rolled_up: reports.days_rolled_up,
            rows_purged: reports.rows_purged,
            ..upkeep
        })
    }

    /// Rolls up the days due, then purges expired rows (which rolls up what it deletes first),
    /// under the rollup lease: while another replica holds it, this round does nothing, so two
    /// replicas never roll up a day at the same time.
    pub async fn run_reports(&self) -> Result<Round, StoreError> {
        let lease = Lease {
            name: REPORTS_LEASE,
            holder: &self.replica_id,
        };
        if !self.store.claim_lease(lease, REPORTS_LEASE_TTL).await? {
            tracing::debug!("another replica holds the rollup lease; this round skips");
            return Ok(Round::default());
        }
        let round = self.reports_under_lease().await;
        // Given up at once, so that the next round, of any replica, need not wait for the expiry.
        let released = self.store.release_lease(lease).await;
        let round = round?;
        released?;
        Ok(round)
    }

    async fn reports_under_lease(&self) -> Result<Round, StoreError> {
        // Today's summaries count the heartbeats still in the journal.
        self.folder.fold_first("rollup").await;
        let rollup = self.reports.rollup_due().await?;
        let purged = self.reports.purge().await?;
        if purged.summary_texts > 0 {
            tracing::info!(
                rows = purged.summary_texts,
                "summary texts expired (summary_text_retention_days)"
            );
        }
        Ok(Round {
            days_rolled_up: rollup.rolled_up.len() as u64 + purged.days_rolled_up_first,
            rows_purged: purged.sessions + purged.program_executions + purged.feature_usage,
            ..Round::default()
        })
    }

    pub async fn run_upkeep(&self) -> Result<Round, StoreError> {
        // A session whose last heartbeat is still in the journal is not idle.
        self.folder.fold_first("sweep").await;
        let now = self.clock.now();
        let sessions_ended = self
            .store
            .end_idle_sessions(now - self.idle_timeout)
            .await?;
        let salts_deleted = self.salts.rotate(now.date_naive()).await?;
        Ok(Round {
            sessions_ended,
            salts_deleted,
            ..Round::default()
        })
    }

    /// Folds the heartbeat journal under the fold lease: while another replica holds it, this
    /// round does nothing. The holder keeps it (renewing it every round) rather than release it
    /// each second; should it die, another replica takes over within [`FOLD_LEASE_TTL`].
    pub async fn run_fold(&self) -> Result<Folded, StoreError> {
        let lease = Lease {
            name: FOLD_LEASE,
            holder: &self.replica_id,
        };
        if !self.store.claim_lease(lease, FOLD_LEASE_TTL).await? {
            return Ok(Folded::default());
        }
        self.folder.fold_all().await
    }

    /// Runs upkeep every `every` and reports every `rollup_every` until the task is aborted.
    pub fn spawn(self, every: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut upkeep = tokio::time::interval(every);
            upkeep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first rollup runs at once (in this task, so serving does not wait for it), or
            // one interval later when `rollup_at_start` is off. A restart loop cannot turn into
            // a rollup loop that costs much: after the first run ever, a run recomputes only the
            // trailing window and the days touched since the previous run.
            let now = tokio::time::Instant::now();
            let first = if self.rollup_at_start {
                now
            } else {
                now + self.rollup_every
            };
            let mut reports = tokio::time::interval_at(first, self.rollup_every);
            reports.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut fold = tokio::time::interval_at(now + FOLD_EVERY, FOLD_EVERY);
            fold.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let started = std::time::Instant::now();
                let (job, round) = tokio::select! {
                    _ = upkeep.tick() => ("upkeep", self.run_upkeep().await),
                    _ = reports.tick() => ("rollup", self.run_reports().await),
                    _ = fold.tick(), if self.fold_often => {
                        if let Err(error) = self.run_fold().await {
                            metrics::maintenance_failed("fold");
                            tracing::debug!(%error, "heartbeat journal fold failed; will retry");
                        }
                        continue;
                    }
                };
                match &round {
                    Ok(r) if job == "rollup" => {
                        metrics::rollup_done(started.elapsed(), r.days_rolled_up, r.rows_purged)
                    }
                    Ok(r) => metrics::upkeep_done(r.sessions_ended, r.salts_deleted),
                    Err(_) => metrics::maintenance_failed(job),
                }
                match round {
                    Ok(round) if round != Round::default() => tracing::info!(?round, "maintenance"),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, job, "maintenance round failed; will retry")
                    }
                }
            }
        })
    }
}

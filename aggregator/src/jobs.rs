//! The periodic jobs of `serve`: upkeep (ending idle sessions, deleting expired salts; every
//! `maintenance_interval_secs`), the summary refresh (the rollup of the days touched since the
//! last pass, today above all; every `summary_refresh_secs`, spaced out when a pass is slow) and
//! the reports (the rollup, then retention; every `rollup_interval_secs`). Both report jobs run
//! under one lease, so that one replica at a time writes summaries. The stats routes read the
//! summaries only: the refresh is what keeps today's figures current. With `heartbeat_journal`
//! on, the journal's fold runs every second (`crate::fold`, its own lease), and first in both
//! report jobs.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::fold::{fold_lease_ttl, Folder, FOLD_LEASE};
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
    /// How often the summaries of touched days are brought up to date (`summary_refresh_secs`),
    /// at least: see [`next_refresh_in`].
    pub refresh_every: Duration,
    /// This replica's name in the rollup lease (random at startup).
    pub replica_id: String,
    /// Roll up once as `serve` starts (`rollup_at_start`), then every `rollup_every`.
    pub rollup_at_start: bool,
    /// Folds the heartbeat journal: every second while `heartbeat_journal` is on, and first
    /// in the sweep and the rollup always (rows a replica left before the knob went off).
    pub folder: Folder,
    /// `heartbeat_journal`: fold every `fold_every`.
    pub fold_often: bool,
    /// `heartbeat_journal_fold_secs`: how often the holder of the fold lease folds.
    pub fold_every: Duration,
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

/// How many times the last refresh's duration the next one waits at least. The refresh of a
/// touched day rereads all of that day's raw rows (one grouped pass per table, the rollup's own
/// reads), so its cost grows with the day: a pass over a day of 100,000 sessions took 3.9 s on
/// MariaDB on the 2-core bench machine under load (`usage-bench --only j`, 2026-12-06); with
/// 60 s between passes that keeps the database busy about 6 % of the time, and on a day that
/// makes a pass take 30 s the spacing grows to 2 minutes rather than letting refreshes run back
/// to back. (The first refresh after `serve`'s rollup at start, 36 s there over ten such days,
/// waited 143 s.)
pub const REFRESH_SPACING: u32 = 4;

/// The wait before the next summary refresh: `every`, or [`REFRESH_SPACING`] times what the
/// last pass took when that is longer, so that the refresh holds the database at most about a
/// fifth of the time however large a day grows (and at most an hour: the periodic rollup
/// refreshes too).
pub fn next_refresh_in(every: Duration, last_took: Duration) -> Duration {
    let hour = Duration::from_secs(3600);
    every.max(last_took.saturating_mul(REFRESH_SPACING).min(hour))
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
        self.under_lease(Pass::Full).await
    }

    /// The summary refresh: rolls up the days touched since the last pass (today's sessions as
    /// they go on, late events of any kept day), under the same lease as [`Jobs::run_reports`],
    /// and moves the mark the stats answers give as `summaries_as_of`.
    pub async fn run_refresh(&self) -> Result<Round, StoreError> {
        self.under_lease(Pass::Refresh).await
    }

    async fn under_lease(&self, pass: Pass) -> Result<Round, StoreError> {
        let lease = Lease {
            name: REPORTS_LEASE,
            holder: &self.replica_id,
        };
        if !self.store.claim_lease(lease, REPORTS_LEASE_TTL).await? {
            tracing::debug!("another replica holds the rollup lease; this round skips");
            return Ok(Round::default());
        }
        let round = match pass {
            Pass::Refresh => self.refresh_under_lease().await,
            Pass::Full => self.reports_under_lease().await,
        };
        // Given up at once, so that the next round, of any replica, need not wait for the expiry.
        let released = self.store.release_lease(lease).await;
        let round = round?;
        released?;
        Ok(round)
    }

    async fn refresh_under_lease(&self) -> Result<Round, StoreError> {
        // The heartbeat journal first, so that the rollup below sees the sessions it touched
        // (they carry a last-seen time after the mark, which is how `rollup_due` finds their
        // days).
        self.folder.fold_first("refresh").await;
        let rollup = self.reports.rollup_due().await?;
        Ok(Round {
            days_rolled_up: rollup.rolled_up.len() as u64,
            ..Round::default()
        })
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
        // Salts are kept by report day: yesterday's is the oldest in use, in the zone that is
        // furthest behind (a site's override may be behind the report zone).
        let today = self.reports.settings.zones().earliest_today(now);
        let salts_deleted = self.salts.rotate(today).await?;
        Ok(Round {
            sessions_ended,
            salts_deleted,
            ..Round::default()
        })
    }

    /// Folds the heartbeat journal under the fold lease: while another replica holds it, this
    /// round does nothing. The holder keeps it (renewing it every round) rather than release it
    /// each second; should it die, another replica takes over within `fold_lease_ttl`.
    pub async fn run_fold(&self) -> Result<Folded, StoreError> {
        let lease = Lease {
            name: FOLD_LEASE,
            holder: &self.replica_id,
        };
        if !self
            .store
            .claim_lease(lease, fold_lease_ttl(self.fold_every))
            .await?
        {
            return Ok(Folded::default());
        }
        self.folder.fold_all().await
    }

    /// Runs upkeep every `every`, reports every `rollup_every` and the summary refresh in between
    /// (every `refresh_every`, or later after a slow pass: [`next_refresh_in`]) until the task is
    /// aborted.
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
            let mut fold = tokio::time::interval_at(now + self.fold_every, self.fold_every);
            fold.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // The first refresh follows the first rollup by one refresh period (that rollup has
            // just brought every touched day up to date).
            let mut refresh_at = first + self.refresh_every;
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
                        match self.store.journal_lag().await {
                            Ok(lag) => metrics::journal_lag(lag.rows, lag.oldest_age_secs),
                            Err(error) => tracing::debug!(%error, "journal lag not read"),
                        }
                        continue;
                    }
                    _ = tokio::time::sleep_until(refresh_at) => {
                        ("refresh", self.run_refresh().await)
                    }
                };
                if job != "upkeep" {
                    // Both report jobs roll up the touched days: the next refresh counts from
                    // the end of either.
                    refresh_at = tokio::time::Instant::now()
                        + next_refresh_in(self.refresh_every, started.elapsed());
                }
                match &round {
                    Ok(r) if job != "upkeep" => {
                        metrics::rollup_done(started.elapsed(), r.days_rolled_up, r.rows_purged)
                    }
                    Ok(r) => metrics::upkeep_done(r.sessions_ended, r.salts_deleted),
                    Err(_) => metrics::maintenance_failed(job),
                }
                match round {
                    Ok(round) if round != Round::default() && job != "refresh" => {
                        tracing::info!(?round, "maintenance")
                    }
                    Ok(round) if round != Round::default() => tracing::debug!(?round, job),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, job, "maintenance round failed; will retry")
                    }
                }
            }
        })
    }
}

/// The two passes under the reports lease.
#[derive(Debug, Clone, Copy)]
enum Pass {
    /// The rollup of the touched days only.
    Refresh,
    /// The rollup, then retention.
    Full,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_refresh_spaces_out_the_next_one() {
        let minute = Duration::from_secs(60);
        assert_eq!(next_refresh_in(minute, Duration::from_secs(2)), minute);
        assert_eq!(next_refresh_in(minute, Duration::from_secs(15)), minute);
        assert_eq!(
            next_refresh_in(minute, Duration::from_secs(30)),
            Duration::from_secs(120),
            "a 30 s pass waits 4 × 30 s"
        );
        let hour = Duration::from_secs(3600);
        assert_eq!(next_refresh_in(minute, Duration::MAX), hour, "bounded");
        assert_eq!(next_refresh_in(2 * hour, Duration::ZERO), 2 * hour);
    }
}

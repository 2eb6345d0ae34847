//! What the background jobs ask of a store: closing idle sessions, the daily rollup, retention,
//! the leases that let one replica at a time run them, and the heartbeat journal's fold.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::{sql, StoreError};
use crate::domain::site_zones::{SiteScope, Zones};
use crate::domain::zone::ReportDay;

/// The first and last start time (UTC) of the sessions of one UTC day that a query selects: the
/// report zone turns it into the local days they fall on (`ReportZone::days_between`), so the
/// stores need not know the zone.
pub type StartSpan = (NaiveDateTime, NaiveDateTime);

/// Closing sessions whose client went quiet (the upkeep job's first step, `jobs.rs`).
#[async_trait]
pub trait IdleSessions: Send + Sync {
    /// Ends every open session whose last batch arrived before `cutoff`: its end is its last
    /// activity.
    async fn end_idle_sessions(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The daily rollup: which days to recompute, recomputing one, and the watermark of touched
/// sessions. Days are local days of the report zone; the stores take their UTC bounds
/// ([`ReportDay`]) and answer UTC start times ([`StartSpan`]).
#[async_trait]
pub trait Rollups: Send + Sync {
    /// Recomputes the summaries of `day` that `scope` writes (`domain::site_zones`: the
    /// all-sites rows and the sites of the report zone, or an override zone's sites) from the
    /// raw rows starting within its bounds and replaces the stored ones, all or nothing. A day
    /// without sessions of the scope is left as it is (its raw rows may have been purged), and
    /// `false` is returned. `funnel` is the funnel whose steps the day's journeys count
    /// (`daily_site_funnel`).
    async fn rollup_day(
        &self,
        day: ReportDay,
        scope: &SiteScope,
        now: NaiveDateTime,
        funnel: &crate::domain::report::journey::steps::Funnel,
    ) -> Result<bool, StoreError>;
    /// Per UTC day, the start times of the sessions that received a batch at or after `since`.
    async fn days_touched_since(&self, since: NaiveDateTime) -> Result<Vec<StartSpan>, StoreError>;
    /// Per UTC day from `from` on, the start times of sessions that have no last-seen time (the
    /// old tracker's rows), whose changes no watermark can see.
    async fn days_untracked_since(
        &self,
        from: NaiveDateTime,
    ) -> Result<Vec<StartSpan>, StoreError> {
        self.spans_by(sql::DAYS_UNTRACKED_SINCE, from).await
    }
    /// Per UTC day, the start times of the raw sessions that started before `cutoff`.
    async fn days_with_sessions_before(
        &self,
        cutoff: NaiveDateTime,
    ) -> Result<Vec<StartSpan>, StoreError> {
        self.spans_by(sql::DAYS_WITH_SESSIONS_BEFORE, cutoff).await
    }
    /// The spans a query of `store::sql` with one time parameter selects (both dialects take
    /// the same text; each store binds the time its own way).
    async fn spans_by(
        &self,
        sql: &'static str,
        at: NaiveDateTime,
    ) -> Result<Vec<StartSpan>, StoreError>;
    /// Days before `before` that have a rollup.
    async fn days_summarized_before(&self, before: NaiveDate)
        -> Result<Vec<NaiveDate>, StoreError>;
    /// Days from `from` on whose rollup was made in another zone than `zone` (an IANA name).
    async fn days_of_other_zones(
        &self,
        from: NaiveDate,
        zone: &str,
    ) -> Result<Vec<NaiveDate>, StoreError>;
    /// Each site's day from `from` on whose rollup was made in another zone than the site's
    /// zone in `zones` (V18): `(date, site id)`.
    async fn site_days_of_other_zones(
        &self,
        from: NaiveDate,
        zones: &Zones,
    ) -> Result<Vec<(NaiveDate, String)>, StoreError>;
    /// Deletes the summaries of `day` that `scope` writes (a day that has no sessions of the
    /// scope in the zone now in force).
    async fn forget_day(&self, day: NaiveDate, scope: &SiteScope) -> Result<(), StoreError>;
    async fn rollup_mark(&self) -> Result<Option<NaiveDateTime>, StoreError>;
    async fn set_rollup_mark(&self, at: NaiveDateTime) -> Result<(), StoreError>;
}

/// Retention: batched deletes of expired raw rows.
#[async_trait]
pub trait Retention: Send + Sync {
    /// Deletes program runs that happened before `cutoff` or belong to a session that started
    /// before it, in chunks. Returns the number of rows deleted.
    async fn purge_program_executions(&self, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        self.purge_events("program_executions", cutoff).await
    }
    /// As [`Retention::purge_program_executions`], for feature events.
    async fn purge_feature_usage(&self, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        self.purge_events("feature_usage", cutoff).await
    }
    /// Events of `table` (a fixed name) that happened before `cutoff` or belong to a session
    /// that started before it, deleted in chunks.
    async fn purge_events(&self, table: &str, cutoff: NaiveDateTime) -> Result<u64, StoreError>;
    /// Deletes sessions that started before `cutoff`, oldest first, in chunks.
    async fn purge_sessions(&self, cutoff: NaiveDateTime) -> Result<u64, StoreError>;
    /// Folds the free text of the summaries of days before `before` into `(expired)` rows that
    /// keep their counts (`sql::expire`), a few hundred groups per transaction. Returns the
    /// summary rows replaced.
    async fn expire_summary_texts(&self, before: NaiveDate) -> Result<u64, StoreError>;
}

/// A lease in the database, so that one replica at a time runs a task (the rollup and retention)
/// however many replicas share the database: a row claimed with an expiry, which works on a
/// Galera cluster, unlike `GET_LOCK` (local to one node).
#[async_trait]
pub trait Leases: Send + Sync {
    /// Claims the lease for `ttl`, unless another holder's claim has not expired; true when its
    /// holder holds it now (a claim by the holder itself is renewed).
    async fn claim_lease(
        &self,
        lease: Lease<'_>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError>;
    /// Gives the lease up early, when its holder holds it.
    async fn release_lease(&self, lease: Lease<'_>) -> Result<(), StoreError>;
}

/// A lease as one replica claims it: the task's name (its row) and the replica's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease<'a> {
    pub name: &'a str,
    pub holder: &'a str,
}

/// The heartbeat journal's folder (`domain::journal`, docs/heartbeat-journal.md).
#[async_trait]
pub trait Journal: Send + Sync {
    /// Reads up to `limit` journal rows, oldest first, and in one transaction applies their
    /// updates, merged per session, to the sessions' rows (locked, as a flush locks them; times
    /// derived with `slack`) and deletes those rows. Folding is idempotent: rows another folder
    /// applied meanwhile change nothing when applied again, and their delete deletes nothing.
    async fn fold_journal(&self, slack: chrono::Duration, limit: u32)
        -> Result<Folded, StoreError>;

    /// How far the fold is behind: the journal's rows (counted up to [`JOURNAL_LAG_COUNT_MAX`])
    /// and the age of the next row to fold (the lowest id), by the database's clock.
    async fn journal_lag(&self) -> Result<JournalLag, StoreError>;
}

/// [`Journal::journal_lag`] counts at most this many rows, so that a journal grown large while
/// no replica folds costs one bounded index scan per look, not a scan of all of it.
pub const JOURNAL_LAG_COUNT_MAX: u64 = 100_000;

/// The unfolded part of the heartbeat journal.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct JournalLag {
    /// Rows not folded yet, at most [`JOURNAL_LAG_COUNT_MAX`].
    pub rows: u64,
    /// Seconds since the oldest of them was committed; 0 when there is none.
    pub oldest_age_secs: f64,
}

/// What one fold applied: journal rows, and the sessions they updated.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Folded {
    pub rows: u64,
    pub sessions: u64,
}

//! Storage: one interface, two stores. The traits below are everything the aggregator asks of a
//! database; [`Store`] hides which store answers. MySQL (`mysql://`) is for production and shared
//! installs; SQLite (`sqlite:<path>`, the default) is embedded, for one machine and for trying the
//! product without a database server. Both keep the same tables and the same semantics, which the
//! integration suite checks by running every test against each. Nothing outside `store` writes SQL.
//! What both dialects share is written once: SQL text in `sql.rs`, the stats reads in `stats.rs`
//! (methods of [`Store`] over [`Reads`], which each store implements by running a statement).

mod datetime_text;
mod failure;
mod filtered;
mod history;
mod journey_stats;
pub(crate) mod model;
pub mod mysql;
mod reads;
mod refused;
mod sql;
pub mod sqlite;
mod stats;
mod time;

use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

pub use failure::{Failure, Phase};
pub use model::{AdoptionRewrite, AdoptionRow};
pub use reads::{Cell, Kind, Param, Reads};
pub use sql::events::DayRead;
pub use sql::expire::{EXPIRED, EXPIRED_DATA};

use crate::domain::flush::{EventCounts, Flush};
use crate::domain::zone::ReportDay;

/// Where the embedded store lives when no database URL is configured.
pub const DEFAULT_SQLITE_PATH: &str = "usage.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened, reached or used as configured: the message says what to fix.
    #[error("{0}")]
    Setup(String),
    /// The server cannot be reached (yet): refused or unanswered connections, a server starting
    /// up or full. Worth waiting for at start (`database_wait_secs`); the message says what to
    /// check if it lasts.
    #[error("{0}")]
    Unreachable(String),
    /// A stored value that does not read back as what was written (a malformed time or salt, a
    /// missing column): a damaged row, not a configuration problem.
    #[error("{0}")]
    Decode(String),
    #[error("database error: {0}")]
    MySql(#[from] mysql_async::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] refinery::Error),
}

/// Connecting, migrating, readiness.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// Applies pending migrations; returns the versions applied now. A database that a newer
    /// release migrated further (see `history`) is served as it is: nothing applied, a warning.
    async fn migrate(&self) -> Result<Vec<i32>, StoreError>;
    /// Ready when the database answers and carries every migration this build knows (newer ones
    /// too are fine).
    async fn readiness(&self) -> Result<(), String>;
    async fn disconnect(&self);
}

/// The write path: a flush (a group commit of many requests) is written, then committed. Nothing
/// of it is stored unless the commit succeeds, and a retried flush never counts a run twice.
#[async_trait]
pub trait Ingest: Send + Sync {
    /// Writes a flush: locks and reads its sessions and runs, writes the rows the flush derives
    /// from them ([`Flush::session_rows`]). A store may leave the transaction open for
    /// [`Written::commit`], so that the next flush is written while this one syncs. Shared, so
    /// that a store writing on another thread needs no copy.
    async fn write_flush(&self, flush: Arc<Flush>) -> Result<Box<dyn Written>, StoreError>;
}

/// A flush written but perhaps not yet committed.
#[async_trait]
pub trait Written: Send {
    /// Commits; returns the event rows the flush inserted (the others of its requests were
    /// stored already and skipped), which hold only once the commit succeeded.
    async fn commit(self: Box<Self>) -> Result<EventCounts, StoreError>;
}

/// The daily visitor salts.
#[async_trait]
pub trait Salts: Send + Sync {
    /// Stores `candidate` as the salt of `day` unless a replica got there first; returns the salt.
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError>;
    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError>;
    /// The stored salt of `day`, without ever creating one.
    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError>;
}

/// A stored salt column as a salt; a value of another length is none.
fn salt_bytes(stored: Option<Vec<u8>>) -> Option<[u8; 32]> {
    stored.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

/// The salt of `day` read back right after [`Salts::ensure_salt`] stored it (or found one).
fn ensured_salt(day: NaiveDate, stored: Option<Vec<u8>>) -> Result<[u8; 32], StoreError> {
    salt_bytes(stored)
        .ok_or_else(|| StoreError::Decode(format!("the salt of {day} is missing or malformed")))
}

/// The visitor's salt cache keeps its salts in the store's salt table.
#[async_trait]
impl crate::visitor::SaltTable for Store {
    type Error = StoreError;
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        Salts::ensure_salt(&**self, day, candidate).await
    }
    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        Salts::delete_salts_before(&**self, day).await
    }
}

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
    /// Recomputes every summary of `day` from the raw rows starting within its bounds and
    /// replaces the stored ones, all or nothing. A day without sessions is left as it is (its
    /// raw rows may have been purged), and `false` is returned. `funnel` is the funnel whose
    /// steps the day's journeys count (`daily_site_funnel`).
    async fn rollup_day(
        &self,
        day: ReportDay,
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
    /// Deletes every summary of `day` (a day that has no sessions in the zone now in force).
    async fn forget_day(&self, day: NaiveDate) -> Result<(), StoreError>;
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

/// Adopting an old database: rewriting stored rows that hold an address or a full user agent
/// (`usage-aggregator adopt`).
#[async_trait]
pub trait Adoption: Send + Sync {
    /// Up to `limit` rows after `after_id` (by id) that hold an address, or an agent never reduced.
    async fn rows_to_adopt(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AdoptionRow>, StoreError>;
    /// Writes one chunk of adopted rows in one transaction.
    async fn write_adopted(&self, rows: &[AdoptionRewrite]) -> Result<(), StoreError>;
    /// Clears the addresses the old deployment's other tables hold (`page_visits.ip_address`,
    /// which no visitor hash can replace); returns the rows cleared. A store without such tables
    /// has nothing to clear.
    async fn clear_other_addresses(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
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

/// Everything a store does.
pub trait Storage:
    Lifecycle
    + Ingest
    + Salts
    + IdleSessions
    + Rollups
    + Retention
    + Leases
    + Reads
    + Adoption
    + Journal
{
}

impl<
        T: Lifecycle
            + Ingest
            + Salts
            + IdleSessions
            + Rollups
            + Retention
            + Leases
            + Reads
            + Adoption
            + Journal,
    > Storage for T
{
}

/// A handle on whichever store the configuration names; cheap to clone.
#[derive(Clone)]
pub struct Store(Arc<dyn Storage>);

impl Deref for Store {
    type Target = dyn Storage;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// Where the store is (`Config::database`), and for MySQL over TLS, the CA to trust.
#[derive(Clone, Default)]
pub struct Target {
    pub url: Option<String>,
    pub ssl_ca: Option<std::path::PathBuf>,
}

/// Written by hand so that a `{:?}` never prints the database password.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.describe())
            .field("ssl_ca", &self.ssl_ca)
            .finish()
    }
}

impl Target {
    /// The store as a message may name it: the URL with its password masked, or the default.
    pub fn describe(&self) -> String {
        match self.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => format!("sqlite:{DEFAULT_SQLITE_PATH} (the default)"),
            Some(url) => redact_password(url),
        }
    }
}

/// `url` with its password, if it has one, replaced by `***`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable>".into(),
    }
}

impl Store {
    /// Opens the store `url` names: `mysql://...` or `sqlite:<path>`; `None` is the embedded
    /// default, [`DEFAULT_SQLITE_PATH`]. Checks that it answers, turning the usual failures into
    /// advice.
    pub async fn connect(url: Option<&str>) -> Result<Store, StoreError> {
        Self::open(&Target {
            url: url.map(str::to_owned),
            ssl_ca: None,
        })
        .await
    }

    /// As [`Store::connect`], with the CA that signed a MySQL server's certificate.
    pub async fn open(target: &Target) -> Result<Store, StoreError> {
        Self::open_as(target, Access::ReadWrite).await
    }

    /// Opens the store `target` names for reading only, never migrating it (the MCP server):
    /// SQLite's file must exist and is opened read-only, MySQL's transactions are read-only. A
    /// database whose schema is older than this build's is refused (a newer one is read, as
    /// `serve` would).
    pub async fn open_read_only(target: &Target) -> Result<Store, StoreError> {
        let store = Self::open_as(target, Access::ReadOnly).await?;
        store.readiness().await.map_err(StoreError::Setup)?;
        Ok(store)
    }

    async fn open_as(target: &Target, access: Access) -> Result<Store, StoreError> {
        let url = target
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        match url {
            None => Self::sqlite(DEFAULT_SQLITE_PATH, access).await,
            Some(url) if url.starts_with("mysql://") => Ok(Store(Arc::new(
                mysql::MySqlStore::connect_as(url, target.ssl_ca.as_deref(), access).await?,
            ))),
            Some(url) => match sqlite::path_of(url) {
                Some(path) => Self::sqlite(path, access).await,
                None => Err(StoreError::Setup(format!(
                    "unsupported database URL scheme in {:?}: use mysql://user:password@host:port/database \
                     or sqlite:<path> (USAGE_DATABASE_URL)",
                    scheme_of(url)
                ))),
            },
        }
    }

    async fn sqlite(path: &str, access: Access) -> Result<Store, StoreError> {
        Ok(Store(Arc::new(match access {
            Access::ReadWrite => sqlite::SqliteStore::open(path).await?,
            Access::ReadOnly => sqlite::SqliteStore::open_read_only(path).await?,
        })))
    }
}

/// What a process may do with the store: `serve` and the commands write; the MCP server only
/// reads, and the database itself holds it to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

/// Whether a database whose last migration is `applied` carries everything `runner` knows: a
/// newer one (a newer release's, see `history`) is past all of them, and so current.
fn schema_is_current(
    runner: &refinery::Runner,
    applied: Option<refinery::Migration>,
) -> Result<(), String> {
    let latest = runner.get_migrations().iter().map(|m| m.version()).max();
    let applied = applied.map_or(0, |m| m.version());
    match latest {
        Some(latest) if applied < latest => Err(format!(
            "database schema at version {applied}, this build needs {latest}: run `usage-aggregator migrate`"
        )),
        _ => Ok(()),
    }
}

/// The scheme of a URL, never the rest (which may hold a password).
fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or("(none)", |(scheme, _)| scheme)
}

#[cfg(test)]
mod tests {
    use super::{schema_is_current, Target};

    #[test]
    fn a_schema_at_or_past_this_builds_newest_migration_is_current() {
        let ours =
            ["V1__a", "V2__b"].map(|n| refinery::Migration::unapplied(n, "SELECT 1;").unwrap());
        let runner = refinery::Runner::new(&ours);
        let at = |name: &str| Some(refinery::Migration::unapplied(name, "SELECT 1;").unwrap());
        assert!(schema_is_current(&runner, None).is_err());
        assert!(schema_is_current(&runner, at("V1__a")).is_err());
        assert!(schema_is_current(&runner, at("V2__b")).is_ok());
        assert!(schema_is_current(&runner, at("V3__a_newer_release")).is_ok());
    }

    #[test]
    fn a_target_debug_masks_the_password() {
        let target = Target {
            url: Some("mysql://usage:hunter2@db.example.com/usage".into()),
            ssl_ca: None,
        };
        let printed = format!("{target:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("usage:***@db.example.com"), "{printed}");
    }
}

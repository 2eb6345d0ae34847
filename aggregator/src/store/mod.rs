//! Storage: one interface, two stores. The traits ([`Storage`]: those below, the upkeep jobs' in
//! `upkeep.rs`, `salts.rs`, `adoption.rs`, and [`Reads`]) are everything the aggregator asks of a
//! database; [`Store`] hides which store answers (`open.rs` opens one). MySQL (`mysql://`) is for
//! production and shared installs; SQLite (`sqlite:<path>`, the default) is embedded, for one
//! machine and for trying the product without a database server. Both keep the same tables and the
//! same semantics, which the integration suite checks by running every test against each. Nothing
//! outside `store` writes SQL. What both dialects share is written once: SQL text in `sql.rs`, the
//! stats reads in `stats.rs` and `live_stats.rs` (methods of [`Store`] over [`Reads`], which each
//! store implements by running a statement).

mod adoption;
mod datetime_text;
mod failure;
mod filtered;
mod history;
mod journey_stats;
mod live_stats;
pub(crate) mod model;
pub mod mysql;
mod open;
mod reads;
mod refused;
mod salts;
mod sql;
pub mod sqlite;
mod stats;
mod time;
mod upkeep;

use std::ops::Deref;
use std::sync::Arc;

use async_trait::async_trait;

pub use adoption::Adoption;
pub use failure::{Failure, Phase};
pub use model::{AdoptionRewrite, AdoptionRow};
pub use open::{redact_password, Access, Target};
pub use reads::{Cell, Kind, Param, Reads};
pub use salts::Salts;
pub use sql::events::DayRead;
pub use sql::expire::{EXPIRED, EXPIRED_DATA};
pub use upkeep::{
    Folded, IdleSessions, Journal, JournalLag, Lease, Leases, Retention, Rollups, StartSpan,
    JOURNAL_LAG_COUNT_MAX,
};

// The stores' own helpers, kept where their children find them.
use open::schema_is_current;
use salts::{ensured_salt, salt_bytes};

use crate::domain::flush::{EventCounts, Flush};

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

//! The embedded store (the default): one SQLite file, for one machine and for trying the product
//! without a database server. Two connections: the writer's, which group commits use, and one for
//! everything else (upkeep, salts, stats). WAL lets the stats read while a flush writes; SQLite
//! lets one transaction write at a time, and a busy timeout makes the others wait their turn.
//! rusqlite is blocking, so every call runs on tokio's blocking pool.

mod adopt;
mod files;
mod fold;
mod ingest;
mod journey;
mod lease;
mod salts;
mod select;
mod stats;
mod summary;
mod time;
mod upkeep;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::Connection;

use super::{history, schema_is_current, Lifecycle, StoreError};

mod embedded {
    refinery::embed_migrations!("../sql/sqlite");
}

/// How long a statement waits for another transaction's write lock before failing: longer than
/// any rollup of a small install, shorter than the writer's flush timeout.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the log is copied into the database file in the background.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Log pages (4 KiB each) after which the writer checkpoints within a commit: SQLite's default is
/// 1000; this one is reached only should the background checkpoints fall behind.
const WRITER_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// The path of a `sqlite:<path>` or `sqlite://<path>` URL.
pub fn path_of(url: &str) -> Option<&str> {
    let path = url.strip_prefix("sqlite:")?;
    let path = path.strip_prefix("//").unwrap_or(path);
    (!path.is_empty()).then_some(path)
}

pub struct SqliteStore {
    path: PathBuf,
    writer: Db,
    other: Db,
    /// Only the background checkpoints use it; they stop once the store is dropped. None when
    /// read-only (a read-only connection cannot checkpoint).
    _checkpointer: Option<Arc<Mutex<Connection>>>,
    read_only: bool,
}

/// A connection, used by one blocking task at a time.
#[derive(Clone)]
struct Db(Arc<Mutex<Connection>>);

impl Db {
    /// Runs `work` on the blocking pool with the connection.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.0.clone();
        tokio::task::spawn_blocking(move || {
            // A panic in an earlier task left no transaction open: rusqlite rolls back on drop.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            work(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Setup(format!("a database task failed: {e}")))?
    }
}

impl SqliteStore {
    /// Opens (creating it, and its folder, if missing: private to this user, see `files`) the
    /// database file at `path`.
    pub async fn open(path: &str) -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(path);
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                files::create_private(&path)?;
                let writer = connect(&path)?;
                // The writer checkpoints only as a backstop: the checkpointer below keeps the log
                // short, so the disk writes of checkpoints stay out of the group commits' path.
                writer
                    .pragma_update(None, "wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES)
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>((writer, connect(&path)?, connect(&path)?))
            })
            .await
            .map_err(|e| StoreError::Setup(e.to_string()))?
        };
        let (writer, other, checkpointer) = opened.map_err(|why| {
            StoreError::Setup(format!(
                "cannot use SQLite at {}: {why}. Set USAGE_DATABASE_URL=sqlite:<path> to a writable file, \
                 or mysql://user:password@host:port/database",
                path.display()
            ))
        })?;
        tracing::info!(path = %path.display(), "using the embedded SQLite store");
        let checkpointer = Arc::new(Mutex::new(checkpointer));
        spawn_checkpoints(Arc::downgrade(&checkpointer));
        Ok(SqliteStore {
            path,
            writer: Db(Arc::new(Mutex::new(writer))),
            other: Db(Arc::new(Mutex::new(other))),
            _checkpointer: Some(checkpointer),
            read_only: false,
        })
    }

    /// Opens the database file at `path` for reading only (the MCP server): the file must
    /// exist, nothing is created, and every connection is opened read-only, so that no statement
    /// of this process can change the database, whatever it runs.
    pub async fn open_read_only(path: &str) -> Result<SqliteStore, StoreError> {
        let path = PathBuf::from(path);
        let opened = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                Ok::<_, String>((read_only(&path)?, read_only(&path)?))
            })
            .await
            .map_err(|e| StoreError::Setup(e.to_string()))?
        };
        let (writer, other) = opened.map_err(|why| {
            StoreError::Setup(format!(
                "cannot read SQLite at {}: {why}. Point USAGE_DATABASE_URL at the aggregator's database",
                path.display()
            ))
        })?;
        Ok(SqliteStore {
            path,
            writer: Db(Arc::new(Mutex::new(writer))),
            other: Db(Arc::new(Mutex::new(other))),
            _checkpointer: None,
            read_only: true,
        })
    }
}

/// One read-only connection to an existing file. SQLite reads a database in WAL mode read-only
/// as long as its `-shm` file exists or can be created beside it (SQLite 3.22 and later).
fn read_only(path: &Path) -> Result<Connection, String> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    // The reports' SQL calls them (the MCP server's errors tool groups in SQL too).
    register_functions(&conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Copies the write-ahead log into the database file every [`CHECKPOINT_EVERY`], without waiting
/// for readers or blocking the writer (PASSIVE), until the store is dropped. The bench (figure g)
/// measured checkpoints run inside commits at over half of SQLite's own commit time.
fn spawn_checkpoints(conn: Weak<Mutex<Connection>>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let Some(conn) = conn.upgrade() else { return };
            let outcome = tokio::task::spawn_blocking(move || {
                let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            })
            .await;
            if let Ok(Err(error)) = outcome {
                // The writer's own checkpoints still bound the log.
                tracing::debug!(%error, "background checkpoint");
            }
        }
    });
}

/// Opens one connection and checks that the file is a database this build can write.
fn connect(path: &Path) -> Result<Connection, String> {
    let conn = Connection::open(path).map_err(|e| e.to_string())?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| e.to_string())?;
    // WAL: readers never block the writer. synchronous=FULL: a commit (and so a 200) survives a
    // power cut, as it does on MySQL with InnoDB's defaults.
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(|e| e.to_string())?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!(
            "the file refuses WAL mode (journal_mode is {mode})"
        ));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;")
        .map_err(|e| e.to_string())?;
    register_functions(&conn).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// `error_group(message)`: the errors report's grouping (`domain::report::errors::group_of`),
/// so that a day's failed runs are grouped and ranked in SQL (`store::sql::bounded`) as MariaDB
/// does with `REGEXP_REPLACE`, which SQLite lacks.
fn register_functions(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "error_group",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let message: Option<String> = ctx.get(0)?;
            Ok(crate::domain::report::errors::group_of(
                message.as_deref().unwrap_or(""),
            ))
        },
    )
}

#[async_trait]
impl Lifecycle for SqliteStore {
    async fn migrate(&self) -> Result<Vec<i32>, StoreError> {
        self.writer
            .run(|conn| {
                let runner = embedded::migrations::runner();
                let has_history: bool = conn.query_row(
                    "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [history::HISTORY_TABLE],
                    |row| row.get(0),
                )?;
                let applied = if has_history {
                    runner.get_applied_migrations(conn)?
                } else {
                    Vec::new()
                };
                if !history::before_running(runner.get_migrations(), &applied)
                    .map_err(StoreError::Setup)?
                {
                    return Ok(Vec::new());
                }
                let report = runner.run(conn)?;
                Ok(report
                    .applied_migrations()
                    .iter()
                    .map(|m| m.version())
                    .collect())
            })
            .await
    }

    async fn readiness(&self) -> Result<(), String> {
        let path = self.path.clone();
        let check = self.other.run(move |conn| {
            let runner = embedded::migrations::runner();
            let applied = runner.get_last_applied_migration(conn)?;
            schema_is_current(&runner, applied).map_err(StoreError::Setup)?;
            // The file may have been deleted or made read-only under us.
            if !path.exists() {
                return Err(StoreError::Setup(format!("{} is gone", path.display())));
            }
            Ok(())
        });
        match tokio::time::timeout(Duration::from_secs(3), check).await {
            Ok(outcome) => outcome.map_err(|e| format!("database not ready: {e}")),
            Err(_) => Err("database did not answer within 3 s".into()),
        }
    }

    async fn disconnect(&self) {
        if self.read_only {
            return;
        }
        // Folds the write-ahead log back into the file, so that a stopped store is one file.
        let outcome = self
            .writer
            .run(|conn| Ok(conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")?))
            .await;
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "checkpointing the SQLite log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::path_of;

    #[test]
    fn urls_name_their_path() {
        assert_eq!(path_of("sqlite:usage.sqlite3"), Some("usage.sqlite3"));
        assert_eq!(
            path_of("sqlite:///var/lib/usage.db"),
            Some("/var/lib/usage.db")
        );
        assert_eq!(path_of("sqlite://data/usage.db"), Some("data/usage.db"));
        assert_eq!(path_of("sqlite:"), None);
        assert_eq!(path_of("mysql://u@h/d"), None);
    }
}

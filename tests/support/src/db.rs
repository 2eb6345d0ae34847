//! One database per test, on either store, removed when the test ends (even when it fails):
//! a MariaDB database on MYSQL_TEST_URL (default mysql://root@127.0.0.1:3306), or a SQLite file
//! in a temporary folder of its own.
//!
//! Rows come back as `mysql_async::Row` from both stores, so a test reads them one way whichever
//! store wrote them (see `sqlite.rs` for how SQLite values are handed over).

use std::path::{Path, PathBuf};

use mysql_async::prelude::{FromValue, Queryable};
use mysql_async::{Pool, Row, Value};

use crate::sqlite;

pub fn server_url() -> String {
    std::env::var("MYSQL_TEST_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// The two stores the aggregator can write to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    MySql,
    Sqlite,
}

impl StoreKind {
    pub const ALL: [StoreKind; 2] = [StoreKind::MySql, StoreKind::Sqlite];
}

pub struct TestDb {
    store: Store,
}

enum Store {
    MySql {
        name: String,
        server: String,
        pool: Pool,
    },
    Sqlite {
        path: PathBuf,
        // Removed with the folder when the TestDb drops; held only for that.
        _dir: tempfile::TempDir,
    },
}

impl TestDb {
    /// A fresh, empty database of `kind` (MariaDB on MYSQL_TEST_URL).
    pub async fn create(kind: StoreKind) -> TestDb {
        match kind {
            StoreKind::MySql => Self::create_on(&server_url()).await,
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                // The file itself is left for the aggregator to create, as it would in production.
                let path = dir.path().join("usage.sqlite3");
                TestDb {
                    store: Store::Sqlite { path, _dir: dir },
                }
            }
        }
    }

    /// A fresh MariaDB database on `server` (a throwaway server of the test's own).
    pub async fn create_on(server: &str) -> TestDb {
        let name = format!("usage_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let admin = Pool::new(server);
        let mut conn = admin
            .get_conn()
            .await
            .expect("the test MariaDB server answers");
        conn.query_drop(format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(conn);
        admin.disconnect().await.unwrap();
        let pool = Pool::new(format!("{server}/{name}").as_str());
        TestDb {
            store: Store::MySql {
                name,
                server: server.to_string(),
                pool,
            },
        }
    }

    pub fn kind(&self) -> StoreKind {
        match self.store {
            Store::MySql { .. } => StoreKind::MySql,
            Store::Sqlite { .. } => StoreKind::Sqlite,
        }
    }

    /// The aggregator's `database_url` for this database.
    pub fn url(&self) -> String {
        match &self.store {
            Store::MySql { name, server, .. } => format!("{server}/{name}"),
            Store::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
        }
    }

    /// The MariaDB connection pool; panics on SQLite (for tests that are MySQL-only by nature).
    pub fn pool(&self) -> &Pool {
        match &self.store {
            Store::MySql { pool, .. } => pool,
            Store::Sqlite { .. } => panic!("a SQLite TestDb has no MySQL pool"),
        }
    }

    /// The SQLite file (which exists once the aggregator created it); panics on MySQL.
    pub fn sqlite_path(&self) -> &Path {
        match &self.store {
            Store::Sqlite { path, .. } => path,
            Store::MySql { .. } => panic!("a MySQL TestDb has no SQLite file"),
        }
    }

    /// A connection of the test's own to the SQLite file, e.g. to hold its write lock.
    pub fn sqlite_connection(&self) -> rusqlite::Connection {
        sqlite::open(self.sqlite_path())
    }

    /// Every row `sql` returns, as text values like MySQL's text protocol gives them.
    pub async fn rows(&self, sql: &str) -> Vec<Row> {
        match &self.store {
            Store::MySql { pool, .. } => pool
                .get_conn()
                .await
                .unwrap()
                .query(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Store::Sqlite { path, .. } => sqlite::rows(path, sql).await,
        }
    }

    /// Runs statements that return nothing (one or several, `;`-separated).
    pub async fn execute(&self, sql: &str) {
        match &self.store {
            Store::MySql { pool, .. } => pool
                .get_conn()
                .await
                .unwrap()
                .query_drop(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Store::Sqlite { path, .. } => sqlite::execute(path, sql).await,
        }
    }

    /// `SELECT COUNT(*) FROM {from}`: a table, or a table with a WHERE clause.
    pub async fn count(&self, from: &str) -> u64 {
        self.scalar(&format!("SELECT COUNT(*) FROM {from}")).await
    }

    /// The first column of the one row `sql` returns.
    pub async fn scalar<T: FromValue>(&self, sql: &str) -> T {
        let row = self.rows(sql).await.into_iter().next();
        let value = row.expect("one row").take(0).expect("one column");
        mysql_async::from_value_opt(value).unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Every value of every table and view, as text, for searching.
    pub async fn dump(&self) -> String {
        let list = match self.kind() {
            StoreKind::MySql => "SHOW FULL TABLES",
            StoreKind::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
        };
        let tables: Vec<String> = self
            .rows(list)
            .await
            .into_iter()
            .map(|row| row.get::<String, _>(0).unwrap())
            .collect();
        let mut dump = String::new();
        for table in tables {
            // Backquotes quote a name in MariaDB and, for compatibility, in SQLite too.
            for row in self.rows(&format!("SELECT * FROM `{table}`")).await {
                dump.push_str(&table);
                for value in row.unwrap() {
                    dump.push(' ');
                    match value {
                        Value::Bytes(bytes) => dump.push_str(&String::from_utf8_lossy(&bytes)),
                        other => dump.push_str(&other.as_sql(true)),
                    }
                }
                dump.push('\n');
            }
        }
        dump
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // The SQLite folder goes with its TempDir; a MariaDB database must be dropped on the server.
        let Store::MySql { server, name, .. } = &self.store else {
            return;
        };
        let (server, name) = (server.clone(), name.clone());
        // Drop may run inside a runtime: do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = Pool::new(server.as_str());
                if let Ok(mut conn) = pool.get_conn().await {
                    // A connection of the test still open in a transaction (an aggregator's
                    // rollup cut off by its shutdown, say) holds a metadata lock that DROP
                    // DATABASE would wait for without end: its pool rolls it back in a task of
                    // the test's runtime, which this drop blocks. Closing such connections on the
                    // server rolls them back at once.
                    let others: Vec<u64> = conn
                        .exec(
                            "SELECT id FROM information_schema.processlist \
                             WHERE db = ? AND id <> CONNECTION_ID()",
                            (name.as_str(),),
                        )
                        .await
                        .unwrap_or_default();
                    for id in others {
                        let _ = conn.query_drop(format!("KILL CONNECTION {id}")).await;
                    }
                    let _ = conn.query_drop("SET SESSION lock_wait_timeout = 60").await;
                    let _ = conn
                        .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                        .await;
                }
                let _ = pool.disconnect().await;
            });
        })
        .join();
    }
}

/// Every value of every table and view, as text, for searching.
pub async fn dump_all_tables(db: &TestDb) -> String {
    db.dump().await
}

//! The server side of an end-to-end test: a database of its own and the aggregator, which the
//! test can stop and start again on the same port.

use std::path::PathBuf;
use std::sync::Arc;

use mysql_async::prelude::Queryable;
use mysql_async::{Pool, Row, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usage_aggregator::clock::SystemClock;
use usage_aggregator::config::Config;
use usage_aggregator::startup::Application;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

fn mysql_server() -> String {
    std::env::var("MYSQL_TEST_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

/// A database created for one test and dropped with it.
pub struct Database {
    pub name: String,
    pub pool: Pool,
}

impl Database {
    pub async fn create() -> Database {
        let name = format!("usage_e2e_{}", hex::encode(rand::random::<[u8; 6]>()));
        let admin = Pool::new(mysql_server().as_str());
        admin
            .get_conn()
            .await
            .expect("MariaDB answers")
            .query_drop(format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.disconnect().await.unwrap();
        let pool = Pool::new(format!("{}/{name}", mysql_server()).as_str());
        Database { name, pool }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", mysql_server(), self.name)
    }

    pub async fn rows(&self, sql: &str) -> Vec<Row> {
        self.pool
            .get_conn()
            .await
            .unwrap()
            .query(sql)
            .await
            .unwrap()
    }

    pub async fn count(&self, sql_from: &str) -> u64 {
        let n: Option<u64> = self
            .pool
            .get_conn()
            .await
            .unwrap()
            .query_first(format!("SELECT COUNT(*) FROM {sql_from}"))
            .await
            .unwrap();
        n.unwrap_or(0)
    }

    /// Every value of every table, as text, for searching.
    pub async fn dump(&self) -> String {
        let mut conn = self.pool.get_conn().await.unwrap();
        let tables: Vec<String> = conn.query("SHOW TABLES").await.unwrap();
        let mut dump = String::new();
        for table in tables {
            for row in conn
                .query::<Row, _>(format!("SELECT * FROM `{table}`"))
                .await
                .unwrap()
            {
                for value in row.unwrap() {
                    match value {
                        Value::Bytes(bytes) => dump.push_str(&String::from_utf8_lossy(&bytes)),
                        other => dump.push_str(&other.as_sql(true)),
                    }
                    dump.push(' ');
                }
                dump.push('\n');
            }
        }
        dump
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = Pool::new(mysql_server().as_str());
                if let Ok(mut conn) = pool.get_conn().await {
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

/// The aggregator, in this process, on a port that survives a restart.
pub struct Aggregator {
    pub port: u16,
    config: Config,
    running: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

impl Aggregator {
    pub async fn start(db: &Database, adjust: impl FnOnce(&mut Config)) -> Aggregator {
        let root = repo_root();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(db.url()),
            static_dir: root.join("www"),
            client_dir: root.join("target/usage-client"),
            // Loaded CI machines can take seconds to commit: see aggregator/tests/api/helpers.
            flush_timeout_secs: 60,
            ..Config::default()
        };
        adjust(&mut config);
        assert!(
            config.client_dir.join("usage.js").exists(),
            "build the client first: scripts/build-client.sh"
        );
        let mut aggregator = Aggregator {
            port: 0,
            config,
            running: None,
        };
        aggregator.restart().await;
        aggregator
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub async fn restart(&mut self) {
        assert!(self.running.is_none(), "already running");
        let app = Application::build(&self.config, Arc::new(SystemClock))
            .await
            .expect("the aggregator starts");
        self.port = app.port();
        self.config.listen.set_port(self.port);
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        self.running = Some((stop, task));
    }

    /// Stops it as SIGTERM would: in-flight requests finish, the queue drains.
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap().unwrap();
        }
    }
}

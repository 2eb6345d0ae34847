//! The server side of an end-to-end test: the aggregator, which the test can stop and start again
//! on the same port, over a database of the test's own.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usage_aggregator::clock::SystemClock;
use usage_aggregator::config::Config;
use usage_aggregator::startup::Application;

pub use usage_test_support::{StoreKind, TestDb};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repo")
        .to_path_buf()
}

/// The aggregator, in this process, on a port that survives a restart.
pub struct Aggregator {
    pub port: u16,
    config: Config,
    running: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

impl Aggregator {
    pub async fn start(db: &TestDb, adjust: impl FnOnce(&mut Config)) -> Aggregator {
        let root = repo_root();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(db.url().into()),
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

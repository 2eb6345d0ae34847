//! The aggregator as its release ships: the `usage-aggregator serve` binary in a process of its
//! own, configured by environment variables as a deployment would be, stopped by SIGTERM and
//! started again on the same port. `stack::Aggregator` runs the same application in the test's
//! process; this one also proves the binary's own start, configuration and shutdown.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::stack::{repo_root, TestDb};

/// The binary of this checkout, built (or found up to date) by cargo first, so that a run of
/// this test crate alone does not depend on another crate's tests having built it.
fn binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "-q",
            "-p",
            "usage-aggregator",
            "--bin",
            "usage-aggregator",
        ])
        .current_dir(repo_root())
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo build -p usage-aggregator failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("debug/usage-aggregator")
}

pub struct AggregatorProcess {
    pub port: u16,
    exe: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
}

impl AggregatorProcess {
    /// Serves `db`, the demo pages and the test build of the client; `env` adds or overrides
    /// `USAGE_*` variables.
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> AggregatorProcess {
        let root = repo_root();
        let port = usage_test_support::free_port().expect("a free port");
        let mut all = vec![
            ("USAGE_DATABASE_URL".to_string(), db.url().to_string()),
            ("USAGE_LISTEN".into(), format!("127.0.0.1:{port}")),
            (
                "USAGE_STATIC_DIR".into(),
                root.join("www").display().to_string(),
            ),
            (
                "USAGE_CLIENT_DIR".into(),
                root.join("target/usage-client").display().to_string(),
            ),
            ("USAGE_LOG".into(), "warn".into()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut process = AggregatorProcess {
            port,
            exe: binary(),
            env: all,
            child: None,
        };
        process.restart().await;
        process
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the binary and waits until `/readyz` answers 200.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(&self.exe)
            .arg("serve")
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the aggregator binary starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.ready().await {
            assert!(Instant::now() < deadline, "the aggregator never got ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn ready(&self) -> bool {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await else {
            return false;
        };
        let ask = b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if stream.write_all(ask).await.is_err() {
            return false;
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        answer.starts_with(b"HTTP/1.1 200")
    }

    /// Stops it with SIGTERM, as Kubernetes and systemd do: it drains what it acknowledged.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().expect("the process runs").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM delivered");
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .expect("the aggregator stops within a minute of SIGTERM")
            .expect("waited for the aggregator");
        assert!(status.success(), "a SIGTERM'd aggregator exits 0: {status}");
    }
}

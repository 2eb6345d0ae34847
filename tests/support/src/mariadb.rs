//! A MariaDB server of a test's (or the benchmark's) own, in a temporary folder, that its owner
//! may kill and restart. Started with MariaDB's defaults plus whatever options the owner adds.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

pub struct ThrowawayMariaDb {
    dir: tempfile::TempDir,
    port: u16,
    options: Vec<String>,
    child: Option<Child>,
}

impl ThrowawayMariaDb {
    /// A small server for tests; panics when it cannot start.
    pub async fn start() -> ThrowawayMariaDb {
        Self::try_start(&["--innodb-buffer-pool-size=32M".to_string()])
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A server with extra `mariadbd` options (kept for restarts).
    pub async fn try_start(options: &[String]) -> Result<ThrowawayMariaDb, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let status = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("mariadb-install-db is not installed: {e}"))?;
        if !status.success() {
            return Err("mariadb-install-db failed".into());
        }
        let port = crate::free_port()?;
        let mut server = ThrowawayMariaDb {
            dir,
            port,
            options: options.to_vec(),
            child: None,
        };
        server.try_restart().await?;
        Ok(server)
    }

    /// `mysql://root@127.0.0.1:PORT`, without a database.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> std::path::PathBuf {
        self.dir.path().join("sock")
    }

    /// The folder holding the server's data, socket and pid file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's process id (0 while it is killed).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Kills the server as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops it and starts it again on `port` (the same data): a database that appears where a
    /// client was already trying to reach one. Panics when it cannot.
    pub async fn move_to(&mut self, port: u16) {
        self.kill();
        self.port = port;
        self.restart().await;
    }

    /// Starts it again on the same port and data; panics when it cannot.
    pub async fn restart(&mut self) {
        self.try_restart().await.unwrap_or_else(|e| panic!("{e}"));
    }

    async fn try_restart(&mut self) -> Result<(), String> {
        // The workspace's test build compiles rustls with both ring and aws-lc-rs (the WebDriver
        // client wants the latter), so rustls cannot pick one by itself: name ring, as the
        // aggregator does (store/mysql/mod.rs). An Err means a provider is already set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let path = self.dir.path();
        let child = Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-log-bin",
                "--bind-address=127.0.0.1",
            ])
            .args(&self.options)
            .arg(format!("--datadir={}", path.join("data").display()))
            .arg(format!("--socket={}", path.join("sock").display()))
            .arg(format!("--pid-file={}", path.join("pid").display()))
            .arg(format!("--port={}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("mariadbd is not installed: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        // A server that requires TLS is probed over TLS (the probe checks it answers, not whom).
        let requires_tls = self
            .options
            .iter()
            .any(|o| o.starts_with("--require-secure-transport"));
        let probe = match requires_tls {
            true => format!("{}?require_ssl=true&verify_ca=false", self.url()),
            false => self.url(),
        };
        loop {
            let pool = mysql_async::Pool::new(probe.as_str());
            let answered = match pool.get_conn().await {
                Ok(mut conn) => conn.query_drop("SELECT 1").await.is_ok(),
                Err(_) => false,
            };
            let _ = pool.disconnect().await;
            if answered {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err("the throwaway MariaDB did not start within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ThrowawayMariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}

//! A MariaDB server of the test's own, in a temporary folder, that the test may stop and restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

pub struct ThrowawayMariaDb {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl ThrowawayMariaDb {
    pub async fn start() -> ThrowawayMariaDb {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let status = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .arg(format!("--datadir={}", data.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("mariadb-install-db is installed");
        assert!(status.success(), "mariadb-install-db failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = ThrowawayMariaDb {
            dir,
            port,
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    /// Kills the server as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn restart(&mut self) {
        let path = self.dir.path();
        let child = Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-log-bin",
                "--bind-address=127.0.0.1",
                "--innodb-buffer-pool-size=32M",
            ])
            .arg(format!("--datadir={}", path.join("data").display()))
            .arg(format!("--socket={}", path.join("sock").display()))
            .arg(format!("--pid-file={}", path.join("pid").display()))
            .arg(format!("--port={}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd is installed");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let pool = mysql_async::Pool::new(self.url().as_str());
            let answered = match pool.get_conn().await {
                Ok(mut conn) => conn.query_drop("SELECT 1").await.is_ok(),
                Err(_) => false,
            };
            let _ = pool.disconnect().await;
            if answered {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the throwaway MariaDB did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ThrowawayMariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}

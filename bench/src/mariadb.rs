//! A throwaway MariaDB for one bench run, in a temporary folder, killed and removed at the end.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use mysql_async::prelude::Queryable;

pub struct ThrowawayMariaDb {
    dir: PathBuf,
    pub port: u16,
    child: Child,
}

impl ThrowawayMariaDb {
    pub async fn start() -> anyhow::Result<ThrowawayMariaDb> {
        let dir = std::env::temp_dir().join(format!("usage-bench-{}", std::process::id()));
        let data = dir.join("data");
        std::fs::create_dir_all(&dir)?;
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
            .context("mariadb-install-db is not installed")?;
        anyhow::ensure!(status.success(), "mariadb-install-db failed");
        let port = super::free_port()?;
        // Defaults but for a buffer pool that holds the bench's rows and a larger redo log,
        // as a production server would have; durability stays (a flush per commit).
        let child = Command::new("mariadbd")
            .args([
                "--no-defaults",
                "--user=root",
                "--skip-log-bin",
                "--bind-address=127.0.0.1",
                "--innodb-buffer-pool-size=2G",
                "--innodb-log-file-size=512M",
                "--max-connections=500",
            ])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.join("sock").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .arg(format!("--port={port}"))
            .arg(format!(
                "--innodb-flush-log-at-trx-commit={}",
                flush_log_at_commit()
            ))
            .arg(format!(
                "--performance-schema={}",
                if profile() { "ON" } else { "OFF" }
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("mariadbd is not installed")?;
        let server = ThrowawayMariaDb { dir, port, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let pool = mysql_async::Pool::new(server.url("mysql").as_str());
            let answered = match pool.get_conn().await {
                Ok(mut conn) => conn.query_drop("SELECT 1").await.is_ok(),
                Err(_) => false,
            };
            let _ = pool.disconnect().await;
            if answered {
                return Ok(server);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the throwaway MariaDB did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn url(&self, database: &str) -> String {
        format!("mysql://root@127.0.0.1:{}/{database}", self.port)
    }

    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub async fn create_database(&self, name: &str) -> anyhow::Result<()> {
        let pool = mysql_async::Pool::new(self.url("mysql").as_str());
        pool.get_conn()
            .await?
            .query_drop(format!("CREATE DATABASE {name}"))
            .await?;
        pool.disconnect().await?;
        Ok(())
    }
}

/// BENCH_FLUSH_LOG=2: the redo log is written at each commit but synced once a second (a crash
/// of the machine, not of MariaDB, may lose the last second). A diagnostic, to tell the
/// aggregator's limits from the disk's stalls; the figures of record keep the default, 1.
pub fn flush_log_at_commit() -> u8 {
    match std::env::var("BENCH_FLUSH_LOG").as_deref() {
        Ok("2") => 2,
        _ => 1,
    }
}

/// BENCH_PROFILE=1: statement statistics on, and printed after each phase.
pub fn profile() -> bool {
    std::env::var("BENCH_PROFILE").is_ok_and(|v| v == "1")
}

impl ThrowawayMariaDb {
    /// With BENCH_PROFILE=1, prints where MariaDB spent its time since the last call (statement
    /// digests by total time), then starts counting anew.
    pub async fn print_profile(&self, schema: &str) -> anyhow::Result<()> {
        if !profile() {
            return Ok(());
        }
        let pool = mysql_async::Pool::new(self.url("mysql").as_str());
        let mut conn = pool.get_conn().await?;
        let rows: Vec<(String, u64, f64, f64)> = conn
            .exec(
                "SELECT LEFT(DIGEST_TEXT, 90), COUNT_STAR, SUM_TIMER_WAIT / 1e12, SUM_ROWS_AFFECTED / GREATEST(COUNT_STAR, 1) \
                 FROM performance_schema.events_statements_summary_by_digest \
                 WHERE SCHEMA_NAME = ? ORDER BY SUM_TIMER_WAIT DESC LIMIT 8",
                (schema,),
            )
            .await?;
        for (digest, count, secs, rows) in rows {
            println!("   db {secs:7.2} s {count:7} x {rows:7.1} rows  {digest}");
        }
        conn.query_drop("TRUNCATE performance_schema.events_statements_summary_by_digest")
            .await?;
        drop(conn);
        pool.disconnect().await?;
        Ok(())
    }
}

impl Drop for ThrowawayMariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

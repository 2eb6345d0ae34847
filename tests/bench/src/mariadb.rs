//! The bench's MariaDB: the shared throwaway server with a production-sized buffer pool, and the
//! bench's diagnostic switches (commit syncing, statement profile).

use anyhow::Context;
use mysql_async::prelude::Queryable;

/// The shared throwaway server (tests/support) with the bench's options.
pub struct ThrowawayMariaDb {
    server: usage_test_support::ThrowawayMariaDb,
}

impl ThrowawayMariaDb {
    pub async fn start() -> anyhow::Result<ThrowawayMariaDb> {
        // Defaults but for a buffer pool that holds the bench's rows and a larger redo log,
        // as a production server would have; durability stays (a flush per commit).
        let options = [
            "--innodb-buffer-pool-size=2G".to_string(),
            "--innodb-log-file-size=512M".to_string(),
            "--max-connections=500".to_string(),
            format!("--innodb-flush-log-at-trx-commit={}", flush_log_at_commit()),
            format!(
                "--performance-schema={}",
                if profile() { "ON" } else { "OFF" }
            ),
        ];
        let server = usage_test_support::ThrowawayMariaDb::try_start(&options)
            .await
            .map_err(anyhow::Error::msg)
            .context("starting the bench's MariaDB")?;
        Ok(ThrowawayMariaDb { server })
    }

    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.server.url())
    }

    pub fn dir(&self) -> &std::path::Path {
        self.server.dir()
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
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

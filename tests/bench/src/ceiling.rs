//! MariaDB's own insert rate on this machine: the rows the aggregator wrote, inserted directly
//! with 1000-row multi-row INSERTs in one transaction, into a fresh copy of the same schema.

use std::time::{Duration, Instant};

use chrono::Utc;
use mysql_async::prelude::Queryable;
use mysql_async::{Pool, TxOpts, Value};

const CHUNK: usize = 1000;

/// How many rows of each table to insert.
#[derive(Debug, Clone, Copy)]
pub struct Rows {
    pub sessions: usize,
    pub programs: usize,
    pub features: usize,
}

impl Rows {
    pub fn total(&self) -> usize {
        self.sessions + self.programs + self.features
    }
}

fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(","));
    vec![row; rows].join(",")
}

fn id() -> Vec<u8> {
    rand::random::<[u8; 16]>().to_vec()
}

/// Inserts `rows` and returns the time from BEGIN to COMMIT.
pub async fn measure(url: &str, rows: Rows) -> anyhow::Result<Duration> {
    let pool = Pool::new(url);
    let mut conn = pool.get_conn().await?;
    let now = Value::from(Utc::now().naive_utc());
    let started = Instant::now();
    let mut tx = conn.start_transaction(TxOpts::default()).await?;
    let mut left = rows.sessions;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut params = Vec::with_capacity(n * 20);
        for _ in 0..n {
            params.extend([
                Value::from(format!("{:032x}", rand::random::<u128>())),
                Value::from("ide"),
                Value::from(format!("{:032x}", rand::random::<u128>())),
                Value::NULL,
                Value::from("Firefox 128 / Linux / desktop"),
                Value::from("Firefox"),
                Value::from("Linux"),
                Value::from("desktop"),
                now.clone(),
                now.clone(),
                now.clone(),
                Value::from(57_000u64),
                Value::from(57_000u64),
                Value::from(19_000u64),
                Value::NULL,
                now.clone(),
                now.clone(),
                Value::NULL,
                Value::from(57u32),
                Value::from(19u32),
            ]);
        }
        let sql = format!(
            "INSERT INTO ide_sessions (session_id, site_id, visitor_hash, ip_address, user_agent, browser, os, device, \
             first_seen_at, last_seen_at, start_estimate, max_offset_ms, visible_ms, active_ms, end_offset_ms, \
             start_time, last_activity, end_time, duration_seconds, active_seconds) VALUES {}",
            placeholders(n, 20)
        );
        tx.exec_drop(sql, params).await?;
        left -= n;
    }
    // Six rows of each kind per session, as a batch of the bench carries.
    let session = |i: usize| Value::from(format!("{:032x}", i / 6));
    let mut left = rows.programs;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut params = Vec::with_capacity(n * 9);
        for i in 0..n {
            params.extend([
                Value::from(id()),
                session(rows.programs - left + i),
                Value::from(i as u32),
                now.clone(),
                Value::from(12u32),
                Value::from(35u32),
                Value::from(240u32),
                Value::from(i % 3 != 0),
                Value::from((i % 3 == 0).then_some("?SYNTAX ERROR IN 20")),
            ]);
        }
        let sql = format!(
            "INSERT INTO program_executions (event_id, session_id, seq, timestamp, program_lines, execution_time_ms, \
             lines_executed, success, error_message) VALUES {}",
            placeholders(n, 9)
        );
        tx.exec_drop(sql, params).await?;
        left -= n;
    }
    let mut left = rows.features;
    while left > 0 {
        let n = left.min(CHUNK);
        let mut params = Vec::with_capacity(n * 6);
        for i in 0..n {
            params.extend([
                Value::from(id()),
                session(rows.features - left + i),
                Value::from(i as u32),
                now.clone(),
                Value::from("debugger"),
                Value::from(r#"{"breakpoints":2}"#),
            ]);
        }
        let sql = format!(
            "INSERT INTO feature_usage (event_id, session_id, seq, timestamp, feature_name, feature_data) VALUES {}",
            placeholders(n, 6)
        );
        tx.exec_drop(sql, params).await?;
        left -= n;
    }
    tx.commit().await?;
    let elapsed = started.elapsed();
    drop(conn);
    pool.disconnect().await?;
    Ok(elapsed)
}

//! The heartbeat journal's fold on SQLite (a flush's journaled updates are one row in the
//! flush's own transaction: `ingest::journal_insert`): on the writer's connection, in one IMMEDIATE transaction, the
//! journal rows read, their merged updates written through the flush's own path and the rows
//! deleted.

use async_trait::async_trait;
use chrono::Duration;
use rusqlite::{params_from_iter, TransactionBehavior};

use super::ingest::write;
use super::SqliteStore;
use crate::domain::journal;
use crate::store::{Folded, Journal, JournalLag, StoreError, JOURNAL_LAG_COUNT_MAX};

#[async_trait]
impl Journal for SqliteStore {
    async fn fold_journal(&self, slack: Duration, limit: u32) -> Result<Folded, StoreError> {
        self.writer
            .run(move |conn| {
                // The write lock at once: no flush changes a session while the fold merges it.
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let rows: Vec<(i64, String)> = tx
                    .prepare_cached("SELECT id, body FROM heartbeat_journal ORDER BY id LIMIT ?")?
                    .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                if rows.is_empty() {
                    return Ok(Folded::default());
                }
                let (flush, undecodable) = journal::fold_rows(&rows, slack);
                for (id, error) in undecodable {
                    tracing::warn!(id, %error, "heartbeat journal row dropped");
                }
                write(&tx, &flush)?;
                let marks = vec!["?"; rows.len()].join(",");
                tx.execute(
                    &format!("DELETE FROM heartbeat_journal WHERE id IN ({marks})"),
                    params_from_iter(rows.iter().map(|(id, _)| id)),
                )?;
                tx.commit()?;
                Ok(Folded {
                    rows: rows.len() as u64,
                    sessions: flush.sessions.len() as u64,
                })
            })
            .await
    }

    async fn journal_lag(&self) -> Result<JournalLag, StoreError> {
        // Not the writer's connection: a look at the lag never waits for a flush or a fold.
        self.other
            .run(move |conn| {
                let (rows, age_ms): (i64, Option<i64>) = conn
                    .prepare_cached(
                        "SELECT (SELECT COUNT(*) FROM (SELECT id FROM heartbeat_journal LIMIT ?)), \
                         (SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) \
                         - created_at FROM heartbeat_journal ORDER BY id LIMIT 1)",
                    )?
                    .query_row([JOURNAL_LAG_COUNT_MAX as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(JournalLag {
                    rows: rows.max(0) as u64,
                    oldest_age_secs: age_ms.unwrap_or(0).max(0) as f64 / 1e3,
                })
            })
            .await
    }
}

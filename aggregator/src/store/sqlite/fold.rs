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
use crate::store::{Folded, Journal, StoreError};

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
}

//! The heartbeat journal's fold on MySQL (a flush's journaled updates are one INSERT in the
//! flush's own transaction: `ingest::journal`). The fold reads journal rows, writes their merged updates through the
//! flush's own path (its sessions locked, facts merged with the stored ones, one multi-row upsert
//! per 500 sessions) and deletes the rows it read, by id, before the same COMMIT.

use async_trait::async_trait;
use chrono::Duration;
use mysql_async::prelude::Queryable;

use super::ingest::write;
use super::MySqlStore;
use crate::domain::journal;
use crate::store::{Folded, Journal, JournalLag, StoreError, JOURNAL_LAG_COUNT_MAX};

#[async_trait]
impl Journal for MySqlStore {
    async fn fold_journal(&self, slack: Duration, limit: u32) -> Result<Folded, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        // As the writer's connections (see `ingest`): reset in the pool, so an error leaves
        // nothing open; read committed; autocommit off behind the guard savepoint.
        conn.reset_connection(true);
        conn.query_drop(
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;SET SESSION autocommit = 0",
        )
        .await?;
        // Not locked: a row another folder applies meanwhile is applied again (idempotent) and
        // its delete here deletes nothing. Rows of flushes still committing are not seen yet.
        let rows: Vec<(u64, String)> = conn
            .query(format!(
                "SELECT id, body FROM heartbeat_journal ORDER BY id LIMIT {limit}"
            ))
            .await?;
        if rows.is_empty() {
            conn.query_drop("ROLLBACK").await?;
            return Ok(Folded::default());
        }
        let (flush, undecodable) = journal::fold_rows(&rows, slack);
        for (id, error) in undecodable {
            tracing::warn!(id, %error, "heartbeat journal row dropped");
        }
        let ids: Vec<String> = rows.iter().map(|(id, _)| id.to_string()).collect();
        let done = async {
            write(&mut conn, &flush).await?;
            conn.query_drop(format!(
                "DELETE FROM heartbeat_journal WHERE id IN ({});RELEASE SAVEPOINT flush;COMMIT",
                ids.join(",")
            ))
            .await?;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(error) = done {
            let _ = conn.query_drop("ROLLBACK").await;
            return Err(error);
        }
        Ok(Folded {
            rows: rows.len() as u64,
            sessions: flush.sessions.len() as u64,
        })
    }

    async fn journal_lag(&self) -> Result<JournalLag, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        // Both by the primary key: the next row to fold, and a count bounded by a LIMIT.
        let row: Option<(u64, Option<i64>)> = conn
            .query_first(format!(
                "SELECT (SELECT COUNT(*) FROM (SELECT id FROM heartbeat_journal \
                 LIMIT {JOURNAL_LAG_COUNT_MAX}) j), (SELECT TIMESTAMPDIFF(MICROSECOND, \
                 created_at, NOW(3)) FROM heartbeat_journal ORDER BY id LIMIT 1)"
            ))
            .await?;
        let (rows, age_us) = row.unwrap_or_default();
        Ok(JournalLag {
            rows,
            oldest_age_secs: age_us.unwrap_or(0).max(0) as f64 / 1e6,
        })
    }
}

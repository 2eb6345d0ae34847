//! SQL of periodic upkeep: ending idle sessions.

use chrono::{DateTime, Utc};
use mysql_async::prelude::Queryable;

use super::{Store, StoreError};

/// Rows per statement, so that the sweep never holds many row locks at once.
const SWEEP_CHUNK: u32 = 1000;

impl Store {
    /// Ends every open session whose last batch arrived before `cutoff`: its end is its last
    /// activity. Recording the end offset keeps the rule "ended while no later event exists".
    pub async fn end_idle_sessions(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut total = 0;
        loop {
            conn.exec_drop(
                "UPDATE ide_sessions SET end_offset_ms = max_offset_ms, end_time = COALESCE(last_activity, start_time) \
                 WHERE end_time IS NULL AND COALESCE(last_seen_at, last_activity, start_time) < ? LIMIT ?",
                (cutoff.naive_utc(), SWEEP_CHUNK),
            )
            .await?;
            let ended = conn.affected_rows();
            total += ended;
            if ended < u64::from(SWEEP_CHUNK) {
                return Ok(total);
            }
        }
    }
}

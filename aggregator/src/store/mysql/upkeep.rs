//! SQL of upkeep: ending idle sessions, the daily rollup (recompute-and-replace one day in one
//! transaction, the watermark of touched sessions), batched deletes of expired raw rows and the
//! expiry of summary texts.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use mysql_async::prelude::Queryable;
use mysql_async::{IsolationLevel, TxOpts};

use super::select::select_on;
use super::summary::{insert_rows, roll_up_day};

use super::MySqlStore;
use crate::domain::report::journey::steps::Funnel;
use crate::domain::session::minute_of;
use crate::domain::site_zones::{SiteScope, Zones};
use crate::domain::zone::ReportDay;
use crate::store::sql;
use crate::store::sql::expire::{FOLDS, GROUPS_PER_ROUND};
use crate::store::sql::zoned;
use crate::store::{IdleSessions, Retention, Rollups, StartSpan, StoreError};

/// Rows per statement, so that the sweep never holds many row locks at once.
const SWEEP_CHUNK: u32 = 1000;

/// Rows per DELETE: each statement holds few locks for a short time, so ingest never waits long.
pub const PURGE_CHUNK: u32 = 1000;

#[async_trait]
impl IdleSessions for MySqlStore {
    async fn end_idle_sessions(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut total = 0;
        // Recording the end offset keeps the rule "ended while no later event exists".
        loop {
            // The index (end_time, last_seen_minute) narrows to open sessions last seen in the
            // cutoff's minute or before, or never given a minute (the old tracker's rows); the
            // precise time decides within that minute.
            conn.exec_drop(
                "UPDATE ide_sessions SET end_offset_ms = max_offset_ms, end_time = COALESCE(last_activity, start_time) \
                 WHERE end_time IS NULL AND (last_seen_minute IS NULL OR last_seen_minute <= ?) \
                 AND COALESCE(last_seen_at, last_activity, start_time) < ? LIMIT ?",
                (minute_of(cutoff), cutoff.naive_utc(), SWEEP_CHUNK),
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

#[async_trait]
impl Rollups for MySqlStore {
    async fn spans_by(
        &self,
        sql: &'static str,
        at: NaiveDateTime,
    ) -> Result<Vec<StartSpan>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(conn.exec(sql, (at,)).await?)
    }

    async fn days_summarized_before(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(conn.exec(sql::DAYS_SUMMARIZED_BEFORE, (before,)).await?)
    }

    async fn days_of_other_zones(
        &self,
        from: NaiveDate,
        zone: &str,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(conn.exec(sql::DAYS_OF_OTHER_ZONES, (from, zone)).await?)
    }

    async fn site_days_of_other_zones(
        &self,
        from: NaiveDate,
        zones: &Zones,
    ) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(conn
            .exec(zoned::site_days_of_other_zones(zones), (from,))
            .await?)
    }

    async fn forget_day(&self, day: NaiveDate, scope: &SiteScope) -> Result<(), StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut tx = conn.start_transaction(TxOpts::default()).await?;
        for delete in zoned::day_tables().filter_map(|t| zoned::delete_of(t, scope)) {
            tx.exec_drop(delete, (day,)).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Recomputes every summary of `day` from the raw rows and replaces the stored ones, all or
    /// nothing. A day without sessions is left as it is (its raw rows may have been purged), and
    /// `false` is returned.
    async fn rollup_day(
        &self,
        day: ReportDay,
        scope: &SiteScope,
        now: NaiveDateTime,
        funnel: &Funnel,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut options = TxOpts::default();
        // Read committed: consistent reads without share locks on ide_sessions, so the writer's
        // group commits never wait behind a rollup.
        options.with_isolation_level(Some(IsolationLevel::ReadCommitted));
        let mut tx = conn.start_transaction(options).await?;
        if !roll_up_day(&mut tx, &day, scope, now, funnel).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Per UTC day, the start times of the sessions that received a batch at or after `since`.
    async fn days_touched_since(&self, since: NaiveDateTime) -> Result<Vec<StartSpan>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let minute = minute_of(since.and_utc());
        Ok(conn.exec(sql::DAYS_TOUCHED_SINCE, (minute, since)).await?)
    }

    async fn rollup_mark(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(conn
            .query_first("SELECT seen_until FROM rollup_state WHERE id = 1")
            .await?)
    }

    async fn set_rollup_mark(&self, at: NaiveDateTime) -> Result<(), StoreError> {
        let mut conn = self.pool().get_conn().await?;
        conn.exec_drop(
            "INSERT INTO rollup_state (id, seen_until) VALUES (1, ?) \
             ON DUPLICATE KEY UPDATE seen_until = VALUES(seen_until)",
            (at,),
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl Retention for MySqlStore {
    /// Events of `table` that happened before `cutoff` or belong to a session that started
    /// before it.
    async fn purge_events(&self, table: &str, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        let by_time = format!("DELETE FROM {table} WHERE timestamp < ? LIMIT ?");
        let by_session = format!(
            "DELETE FROM {table} WHERE session_id IN \
             (SELECT session_id FROM ide_sessions WHERE start_time < ?) LIMIT ?"
        );
        let deleted = self.delete_in_chunks(&by_time, cutoff).await?;
        // The delete by session scans the event table (bench j saw it take seconds a round over
        // 250k events, beside the stats reads); it has work only while sessions older than the
        // cutoff remain, which the start-time index tells at once.
        let mut conn = self.pool().get_conn().await?;
        let old: Option<u8> = conn.exec_first(sql::ANY_SESSION_BEFORE, (cutoff,)).await?;
        drop(conn);
        if old.is_none() {
            return Ok(deleted);
        }
        Ok(deleted + self.delete_in_chunks(&by_session, cutoff).await?)
    }

    /// Deletes sessions that started before `cutoff`, in chunks.
    async fn purge_sessions(&self, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        // Oldest first, so an interrupted purge leaves at most one partly deleted day.
        let sql = "DELETE FROM ide_sessions WHERE start_time < ? ORDER BY start_time LIMIT ?";
        self.delete_in_chunks(sql, cutoff).await
    }

    async fn expire_summary_texts(&self, before: NaiveDate) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut replaced = 0;
        for fold in FOLDS {
            loop {
                let mut tx = conn.start_transaction(TxOpts::default()).await?;
                let sql = fold.select().to_string();
                let groups = select_on(&mut tx, sql, fold.params(before), fold.columns()).await?;
                let round = groups.len();
                let folded = fold.fold(groups)?;
                for key in folded.deletes {
                    tx.exec_drop(fold.delete(), key).await?;
                    replaced += tx.affected_rows();
                }
                insert_rows(&mut tx, &folded.rows, "").await?;
                tx.commit().await?;
                if round < GROUPS_PER_ROUND as usize {
                    break;
                }
            }
        }
        Ok(replaced)
    }
}

impl MySqlStore {
    /// Runs `sql` (parameters: cutoff, limit) in autocommit until a chunk comes back short.
    async fn delete_in_chunks(&self, sql: &str, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut total = 0;
        loop {
            conn.exec_drop(sql, (cutoff, PURGE_CHUNK)).await?;
            let deleted = conn.affected_rows();
            total += deleted;
            if deleted < u64::from(PURGE_CHUNK) {
                return Ok(total);
            }
        }
    }
}

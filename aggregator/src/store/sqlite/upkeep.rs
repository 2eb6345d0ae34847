//! SQL of upkeep on SQLite: ending idle sessions, the daily rollup (recompute and replace one day
//! in one transaction), chunked deletes of expired raw rows and the expiry of summary texts; the
//! same rules as MySQL's.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior};

use super::select::select_on;
use super::summary::{insert_rows, roll_up_day};
use super::time::{date_text, parse_date, parse_time, time_text, utc_text};
use super::SqliteStore;
use crate::domain::report::journey::steps::Funnel;
use crate::domain::session::minute_of;
use crate::domain::site_zones::{SiteScope, Zones};
use crate::domain::zone::ReportDay;
use crate::store::sql;
use crate::store::sql::expire::{FOLDS, GROUPS_PER_ROUND};
use crate::store::sql::zoned;
use crate::store::{IdleSessions, Retention, Rollups, StartSpan, StoreError};

/// (first, last) start time of each row of a span query (`sql::DAYS_TOUCHED_SINCE` and its kin).
fn spans(mut rows: rusqlite::Rows<'_>) -> Result<Vec<StartSpan>, StoreError> {
    let mut spans = Vec::new();
    while let Some(r) = rows.next()? {
        let (first, last): (String, String) = (r.get(0)?, r.get(1)?);
        spans.push((parse_time(&first)?, parse_time(&last)?));
    }
    Ok(spans)
}

impl SqliteStore {
    /// The dates a query of `store::sql` selects with a date parameter and perhaps a text one.
    async fn dates_by(
        &self,
        sql: &'static str,
        day: NaiveDate,
        text: Option<String>,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        self.other
            .run(move |conn| {
                let params = std::iter::once(date_text(day)).chain(text);
                let dates = conn
                    .prepare_cached(sql)?
                    .query_map(rusqlite::params_from_iter(params), |r| r.get(0))?
                    .collect::<Result<Vec<String>, _>>()?;
                dates.iter().map(|d| parse_date(d)).collect()
            })
            .await
    }
}

/// Rows per statement: each holds the write lock briefly, so ingest never waits long.
const CHUNK: u32 = 1000;

#[async_trait]
impl IdleSessions for SqliteStore {
    async fn end_idle_sessions(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        // Recording the end offset keeps the rule "ended while no later event exists". The index
        // (end_time, last_seen_minute) narrows to open sessions last seen in the cutoff's minute
        // or before, or never given one (the old tracker's rows); the precise time decides.
        let sql = "UPDATE ide_sessions SET end_offset_ms = max_offset_ms, end_time = COALESCE(last_activity, start_time) \
                   WHERE id IN (SELECT id FROM ide_sessions WHERE end_time IS NULL \
                   AND (last_seen_minute IS NULL OR last_seen_minute <= ?3) \
                   AND COALESCE(last_seen_at, last_activity, start_time) < ?1 LIMIT ?2)";
        let (cutoff, minute) = (utc_text(cutoff), minute_of(cutoff));
        self.other
            .run(move |conn| {
                let mut total = 0;
                loop {
                    let changed =
                        conn.prepare_cached(sql)?
                            .execute((&cutoff, CHUNK, minute))? as u64;
                    total += changed;
                    if changed < u64::from(CHUNK) {
                        return Ok(total);
                    }
                }
            })
            .await
    }
}

#[async_trait]
impl Rollups for SqliteStore {
    async fn spans_by(
        &self,
        sql: &'static str,
        at: NaiveDateTime,
    ) -> Result<Vec<StartSpan>, StoreError> {
        self.other
            .run(move |conn| {
                let mut statement = conn.prepare_cached(sql)?;
                let rows = statement.query([time_text(at)])?;
                spans(rows)
            })
            .await
    }

    async fn days_summarized_before(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        self.dates_by(sql::DAYS_SUMMARIZED_BEFORE, before, None)
            .await
    }

    async fn days_of_other_zones(
        &self,
        from: NaiveDate,
        zone: &str,
    ) -> Result<Vec<NaiveDate>, StoreError> {
        self.dates_by(sql::DAYS_OF_OTHER_ZONES, from, Some(zone.to_string()))
            .await
    }

    async fn site_days_of_other_zones(
        &self,
        from: NaiveDate,
        zones: &Zones,
    ) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        let sql = zoned::site_days_of_other_zones(zones);
        self.other
            .run(move |conn| {
                let mut statement = conn.prepare(&sql)?;
                let mut rows = statement.query([date_text(from)])?;
                let mut days = Vec::new();
                while let Some(r) = rows.next()? {
                    days.push((parse_date(&r.get::<_, String>(0)?)?, r.get(1)?));
                }
                Ok(days)
            })
            .await
    }

    async fn forget_day(&self, day: NaiveDate, scope: &SiteScope) -> Result<(), StoreError> {
        let scope = scope.clone();
        self.other
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for delete in zoned::day_tables().filter_map(|t| zoned::delete_of(t, &scope)) {
                    tx.prepare_cached(&delete)?.execute([date_text(day)])?;
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }

    async fn rollup_day(
        &self,
        day: ReportDay,
        scope: &SiteScope,
        now: NaiveDateTime,
        funnel: &Funnel,
    ) -> Result<bool, StoreError> {
        let (funnel, scope) = (funnel.clone(), scope.clone());
        self.other
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if !roll_up_day(&tx, &day, &scope, now, &funnel)? {
                    return Ok(false);
                }
                tx.commit()?;
                Ok(true)
            })
            .await
    }

    async fn days_touched_since(&self, since: NaiveDateTime) -> Result<Vec<StartSpan>, StoreError> {
        self.other
            .run(move |conn| {
                let minute = minute_of(since.and_utc());
                let mut statement = conn.prepare_cached(sql::DAYS_TOUCHED_SINCE)?;
                let rows = statement.query((minute, time_text(since)))?;
                spans(rows)
            })
            .await
    }

    async fn rollup_mark(&self) -> Result<Option<NaiveDateTime>, StoreError> {
        self.other
            .run(|conn| {
                let mark: Option<String> = conn
                    .query_row(
                        "SELECT seen_until FROM rollup_state WHERE id = 1",
                        [],
                        |r| r.get(0),
                    )
                    .optional()?;
                mark.as_deref().map(parse_time).transpose()
            })
            .await
    }

    async fn set_rollup_mark(&self, at: NaiveDateTime) -> Result<(), StoreError> {
        self.other
            .run(move |conn| {
                conn.execute(
                    "INSERT INTO rollup_state (id, seen_until) VALUES (1, ?) \
                     ON CONFLICT (id) DO UPDATE SET seen_until = excluded.seen_until",
                    [time_text(at)],
                )?;
                Ok(())
            })
            .await
    }
}

#[async_trait]
impl Retention for SqliteStore {
    /// Events that happened before `cutoff` or belong to a session that started before it.
    async fn purge_events(&self, table: &str, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        let by_time = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE timestamp < ?1 LIMIT ?2)"
        );
        let by_session = format!(
            "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE session_id IN \
             (SELECT session_id FROM ide_sessions WHERE start_time < ?1) LIMIT ?2)"
        );
        let deleted = self.in_chunks(&by_time, time_text(cutoff)).await?;
        // As on MySQL: the delete by session scans the event table, and has work only while
        // sessions older than the cutoff remain.
        let at = time_text(cutoff);
        let old = self
            .other
            .run(move |conn| Ok(conn.prepare_cached(sql::ANY_SESSION_BEFORE)?.exists([at])?))
            .await?;
        if !old {
            return Ok(deleted);
        }
        Ok(deleted + self.in_chunks(&by_session, time_text(cutoff)).await?)
    }

    async fn purge_sessions(&self, cutoff: NaiveDateTime) -> Result<u64, StoreError> {
        // Oldest first, so an interrupted purge leaves at most one partly deleted day.
        let sql = "DELETE FROM ide_sessions WHERE id IN \
                   (SELECT id FROM ide_sessions WHERE start_time < ?1 ORDER BY start_time LIMIT ?2)";
        self.in_chunks(sql, time_text(cutoff)).await
    }

    async fn expire_summary_texts(&self, before: NaiveDate) -> Result<u64, StoreError> {
        self.other
            .run(move |conn| {
                let mut replaced = 0;
                for fold in FOLDS {
                    loop {
                        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                        let groups =
                            select_on(&tx, fold.select(), &fold.params(before), fold.columns())?;
                        let round = groups.len();
                        let folded = fold.fold(groups)?;
                        for key in &folded.deletes {
                            replaced += tx
                                .prepare_cached(fold.delete())?
                                .execute(rusqlite::params_from_iter(key))?
                                as u64;
                        }
                        insert_rows(&tx, &folded.rows)?;
                        tx.commit()?;
                        if round < GROUPS_PER_ROUND as usize {
                            break;
                        }
                    }
                }
                Ok(replaced)
            })
            .await
    }
}

impl SqliteStore {
    /// Runs `sql` (parameters: cutoff, limit) in autocommit until a chunk comes back short.
    async fn in_chunks(&self, sql: &str, cutoff: String) -> Result<u64, StoreError> {
        let sql = sql.to_string();
        self.other
            .run(move |conn| {
                let mut total = 0;
                loop {
                    let changed = conn.prepare_cached(&sql)?.execute((&cutoff, CHUNK))? as u64;
                    total += changed;
                    if changed < u64::from(CHUNK) {
                        return Ok(total);
                    }
                }
            })
            .await
    }
}

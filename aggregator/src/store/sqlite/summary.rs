//! One day's summaries on SQLite: the day's sessions read in one pass and their replacement in
//! the report tables with multi-row inserts. The arithmetic is `report::summary`'s.

use chrono::NaiveDateTime;
use rusqlite::types::Value;
use rusqlite::Connection;

use super::journey::read_journeys;
use super::select::select_on;
use super::time::{date_text, parse_time, time_text};
use crate::domain::report::journey::steps::Funnel;
use crate::domain::report::model::FeatureCount;
use crate::domain::report::summary::day_events::DayEvents;
use crate::domain::report::summary::day_pass::{DayPass, DayRollup, SessionRow};
use crate::domain::site_zones::SiteScope;
use crate::domain::zone::{ReportDay, ReportZone};
use crate::store::sql::events as events_sql;
use crate::store::sql::journey as journey_sql;
use crate::store::sql::rollup::{self as sql, Cell, TableRows, ROWS_PER_INSERT};
use crate::store::sql::zoned;
use crate::store::StoreError;

/// Recomputes the summaries of `day` (a local day, read within its UTC bounds) that `scope`
/// writes (the all-sites rows and every site of the report zone, or the sites of an override
/// zone: `domain::site_zones`), with their runs, errors and feature data (the V8 tables) and
/// their journeys through `funnel` (V13, V14), in the caller's transaction; `false` (and
/// nothing written) for a day without sessions of the scope.
pub fn roll_up_day(
    conn: &Connection,
    day: &ReportDay,
    scope: &SiteScope,
    now: NaiveDateTime,
    funnel: &Funnel,
) -> Result<bool, StoreError> {
    let Some(rollup) = read_pass(conn, day, scope)?.finish(day.date) else {
        return Ok(false);
    };
    let journeys = read_journeys(
        conn,
        (time_text(day.start), time_text(day.end)),
        funnel,
        rollup.sessions_per_site(),
    )?;
    let journeys = journey_sql::journey_rows(day.date, funnel, &journeys);
    let mut events = DayEvents::default();
    for read in events_sql::ROLLUP_READS {
        let statement = read.read_in(&scope.read_clause("s.site_id"), "");
        let rows = select_on(conn, &statement.sql, &read.params(day), statement.columns)?;
        read.add_to(&mut events, rows)?;
    }
    write_day(conn, &rollup, &events, journeys, (day.zone, scope), now)?;
    Ok(true)
}

/// The day's sessions stepped through into a [`DayPass`], then its feature uses grouped per site.
fn read_pass(conn: &Connection, day: &ReportDay, scope: &SiteScope) -> Result<DayPass, StoreError> {
    let (start, end) = (time_text(day.start), time_text(day.end));
    let mut pass = DayPass::in_zone(day.zone);
    let mut sessions =
        conn.prepare_cached(&sql::day_sessions(&scope.read_clause("site_id"), ""))?;
    let mut rows = sessions.query((&start, &end))?;
    while let Some(r) = rows.next()? {
        pass.add_session(SessionRow {
            site: r.get(0)?,
            visitor_hash: r.get(1)?,
            browser: r.get(2)?,
            os: r.get(3)?,
            device: r.get(4)?,
            programs_run: r.get(5)?,
            lines_executed: r.get(6)?,
            duration_seconds: r.get(7)?,
            active_seconds: r.get(8)?,
            program_errors: r.get(9)?,
            no_visitor: r.get(10)?,
            start_time: parse_time(&r.get::<_, String>(11)?)?,
            visible_ms: r.get(12)?,
            active_ms: r.get(13)?,
        });
    }
    let mut features =
        conn.prepare_cached(&sql::day_site_features(&scope.read_clause("s.site_id"), ""))?;
    let mut rows = features.query((&start, &end))?;
    while let Some(r) = rows.next()? {
        pass.add_feature(r.get(0)?, feature_count_at(r, 1)?);
    }
    Ok(pass)
}

/// `(feature_name, uses, sessions)` from column `first` on.
fn feature_count_at(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<FeatureCount> {
    Ok(FeatureCount {
        name: r.get(first)?,
        uses: r.get(first + 1)?,
        sessions: r.get(first + 2)?,
    })
}

/// Replaces the day's rows of every report table, inside the caller's (immediate) transaction:
/// deletes, then plain inserts, since no other writer can come between them.
fn write_day(
    conn: &Connection,
    day: &DayRollup,
    events: &DayEvents,
    journeys: Vec<TableRows>,
    (zone, scope): (ReportZone, &SiteScope),
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let date = date_text(day.total.row.date);
    for delete in zoned::day_tables().filter_map(|t| zoned::delete_of(t, scope)) {
        conn.prepare_cached(&delete)?.execute([&date])?;
    }
    let tables = sql::day_rows(day, zone, now)
        .into_iter()
        .chain(events_sql::event_rows(day.total.row.date, events))
        .chain(journeys)
        .collect();
    for table in zoned::in_scope(tables, scope) {
        insert_rows(conn, &table)?;
    }
    Ok(())
}

/// Inserts `table`'s rows with multi-row inserts (the caller deleted what they replace).
pub(super) fn insert_rows(conn: &Connection, table: &TableRows) -> Result<(), StoreError> {
    for chunk in table.rows.chunks(ROWS_PER_INSERT) {
        let params = chunk.iter().flatten().map(value);
        conn.prepare_cached(&table.insert(chunk.len(), ""))?
            .execute(rusqlite::params_from_iter(params))?;
    }
    Ok(())
}

fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Date(date) => Value::Text(date_text(*date)),
        Cell::Time(time) => Value::Text(time_text(*time)),
        Cell::Text(text) => Value::Text(text.clone()),
        Cell::Number(n) => Value::Integer(i64::try_from(*n).unwrap_or(i64::MAX)),
    }
}

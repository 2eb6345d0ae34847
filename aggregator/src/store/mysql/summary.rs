//! One day's summaries on MySQL: the day's sessions read in one pass and their replacement in
//! the report tables with multi-row upserts. The arithmetic is `report::summary`'s.

use chrono::NaiveDateTime;
use mysql_async::prelude::FromValue;
use mysql_async::prelude::Queryable;
use mysql_async::{Row, Value};

use super::journey::read_journeys;
use super::select::select_on;
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
pub async fn roll_up_day<Q: Queryable>(
    conn: &mut Q,
    day: &ReportDay,
    scope: &SiteScope,
    now: NaiveDateTime,
    funnel: &Funnel,
) -> Result<bool, StoreError> {
    let Some(rollup) = read_pass(conn, day, scope).await?.finish(day.date) else {
        return Ok(false);
    };
    let journeys = read_journeys(
        conn,
        (day.start, day.end),
        funnel,
        rollup.sessions_per_site(),
    )
    .await?;
    let journeys = journey_sql::journey_rows(day.date, funnel, &journeys);
    let mut events = DayEvents::default();
    for read in events_sql::ROLLUP_READS {
        let statement = read.read_in(&scope.read_clause("s.site_id"), sql::MYSQL_BY_START);
        let rows = select_on(conn, statement.sql, read.params(day), statement.columns).await?;
        read.add_to(&mut events, rows)?;
    }
    write_day(conn, &rollup, &events, journeys, (day.zone, scope), now).await?;
    Ok(true)
}

/// A session row of [`sql::day_sessions`], column by column (14 columns: more than a tuple
/// `FromRow` takes).
fn session_of(mut row: Row) -> Result<SessionRow, String> {
    fn cell<T: FromValue>(row: &mut Row, i: usize) -> Result<T, String> {
        match row.take_opt::<T, usize>(i) {
            Some(Ok(value)) => Ok(value),
            Some(Err(error)) => Err(format!("column {i}: {error:?}")),
            None => Err(format!("column {i} is missing")),
        }
    }
    let r = &mut row;
    Ok(SessionRow {
        site: cell(r, 0)?,
        visitor_hash: cell(r, 1)?,
        browser: cell(r, 2)?,
        os: cell(r, 3)?,
        device: cell(r, 4)?,
        programs_run: cell(r, 5)?,
        lines_executed: cell(r, 6)?,
        duration_seconds: cell(r, 7)?,
        active_seconds: cell(r, 8)?,
        program_errors: cell(r, 9)?,
        no_visitor: cell(r, 10)?,
        start_time: cell(r, 11)?,
        visible_ms: cell(r, 12)?,
        active_ms: cell(r, 13)?,
    })
}

/// The day's sessions streamed into a [`DayPass`] (never held as a list), then its feature uses
/// grouped per site.
async fn read_pass<Q: Queryable>(
    conn: &mut Q,
    day: &ReportDay,
    scope: &SiteScope,
) -> Result<DayPass, StoreError> {
    let (start, end) = (day.start, day.end);
    let mut pass = DayPass::in_zone(day.zone);
    let mut malformed = None;
    let mut rows = conn
        .exec_iter(
            sql::day_sessions(&scope.read_clause("site_id"), sql::MYSQL_BY_START),
            (start, end),
        )
        .await?;
    rows.for_each(|row| match session_of(row) {
        Ok(session) => pass.add_session(session),
        Err(error) => {
            malformed.get_or_insert(error);
        }
    })
    .await?;
    drop(rows);
    if let Some(error) = malformed {
        return Err(StoreError::Decode(format!(
            "a session row of {} does not read back: {error}",
            day.date
        )));
    }
    let features: Vec<(String, String, u64, u64)> = conn
        .exec(
            sql::day_site_features(&scope.read_clause("s.site_id"), sql::MYSQL_BY_START),
            (start, end),
        )
        .await?;
    for (site, name, uses, sessions) in features {
        pass.add_feature(
            site,
            FeatureCount {
                name,
                uses,
                sessions,
            },
        );
    }
    Ok(pass)
}

/// Replaces the day's rows of every report table inside the caller's transaction. The deletes
/// drop rows of sites, features and clients the day no longer has; the upserts after them mean
/// two replicas rolling up the same day cannot collide, and `daily_usage_summary` keeps its row
/// (and any column of the old deployment's) rather than losing it to a delete.
async fn write_day<Q: Queryable>(
    conn: &mut Q,
    day: &DayRollup,
    events: &DayEvents,
    journeys: Vec<TableRows>,
    (zone, scope): (ReportZone, &SiteScope),
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let date = day.total.row.date;
    // daily_usage_summary is upserted, never deleted (see above).
    let deletes = zoned::day_tables()
        .filter(|t| *t != sql::DAY_TABLES[0])
        .filter_map(|t| zoned::delete_of(t, scope));
    for delete in deletes {
        conn.exec_drop(delete, (date,)).await?;
    }
    let tables = sql::day_rows(day, zone, now)
        .into_iter()
        .chain(events_sql::event_rows(date, events))
        .chain(journeys)
        .collect();
    for table in zoned::in_scope(tables, scope) {
        insert_rows(conn, &table, &table.upsert_tail()).await?;
    }
    Ok(())
}

/// Inserts `table`'s rows with multi-row inserts ending in `tail` (an upsert's, or nothing).
pub(super) async fn insert_rows<Q: Queryable>(
    conn: &mut Q,
    table: &TableRows,
    tail: &str,
) -> Result<(), StoreError> {
    for chunk in table.rows.chunks(ROWS_PER_INSERT) {
        let params: Vec<Value> = chunk.iter().flatten().map(value).collect();
        conn.exec_drop(table.insert(chunk.len(), tail), params)
            .await?;
    }
    Ok(())
}

fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Date(date) => Value::from(*date),
        Cell::Time(time) => Value::from(*time),
        Cell::Text(text) => Value::from(text.as_str()),
        Cell::Number(n) => Value::from(*n),
    }
}

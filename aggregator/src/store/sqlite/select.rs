//! Running one SELECT on SQLite, its columns read as the store's `Kind`s say: the stats reads
//! (`stats`), the rollup (`summary`) and the upkeep share it, so it sits below all three.

use rusqlite::types::{ToSql, ToSqlOutput};

use super::time::{date_text, parse_date, parse_time, time_text};
use crate::store::StoreError;
use crate::store::{Cell, Kind, Param};

/// Column `index` of `row` as `kind` says, times and dates still in their stored text form
/// ([`parsed`] reads them).
fn cell(row: &rusqlite::Row<'_>, index: usize, kind: Kind) -> rusqlite::Result<Cell> {
    Ok(match kind {
        Kind::U64 => Cell::U64(row.get(index)?),
        Kind::OptU64 => Cell::OptU64(row.get(index)?),
        Kind::Bool => Cell::Bool(row.get(index)?),
        Kind::Text | Kind::Time | Kind::Date => Cell::Text(row.get(index)?),
        Kind::OptText | Kind::OptTime => Cell::OptText(row.get(index)?),
    })
}

/// A time or date column's stored text as the time or date it holds.
fn parsed(cell: Cell, kind: Kind) -> Result<Cell, StoreError> {
    Ok(match (kind, cell) {
        (Kind::Time, Cell::Text(text)) => Cell::Time(parse_time(&text)?),
        (Kind::OptTime, Cell::OptText(text)) => {
            Cell::OptTime(text.as_deref().map(parse_time).transpose()?)
        }
        (Kind::Date, Cell::Text(text)) => Cell::Date(parse_date(&text)?),
        (_, cell) => cell,
    })
}

/// A statement's parameter as SQLite takes it (times and dates as their stored text).
impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Date(day) => ToSqlOutput::from(date_text(*day)),
            Param::Time(at) => ToSqlOutput::from(time_text(*at)),
            Param::Int(n) => ToSqlOutput::from(*n),
            Param::Text(text) => ToSqlOutput::from(text.as_str()),
        })
    }
}

/// Runs one SELECT on `conn`: every row, its columns read as `columns` says.
pub(super) fn select_on(
    conn: &rusqlite::Connection,
    sql: &str,
    params: &[Param],
    columns: &'static [Kind],
) -> Result<Vec<Vec<Cell>>, StoreError> {
    let mut select = conn.prepare_cached(sql)?;
    let rows = select
        .query_map(rusqlite::params_from_iter(params), |row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, kind)| cell(row, i, *kind))
                .collect()
        })?
        .collect::<Result<Vec<Vec<Cell>>, _>>()?;
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .zip(columns)
                .map(|(cell, kind)| parsed(cell, *kind))
                .collect::<Result<Vec<Cell>, StoreError>>()
        })
        .collect()
}

//! Running one SELECT on MySQL, its columns read as the store's `Kind`s say: the stats reads
//! (`stats`), the rollup (`summary`) and the upkeep share it, so it sits below all three.

use mysql_async::prelude::Queryable;
use mysql_async::{Row, Value};

use crate::store::StoreError;
use crate::store::{Cell, Kind, Param};

fn get<T: mysql_async::prelude::FromValue>(row: &mut Row, index: usize) -> Result<T, StoreError> {
    row.take_opt(index)
        .ok_or_else(|| StoreError::Decode(format!("column {index} missing from a stats row")))?
        .map_err(|e| StoreError::Decode(format!("unexpected value in a stats row: {e}")))
}

/// Column `index` of `row` as `kind` says (MySQL hands back times and dates as such).
fn cell(row: &mut Row, index: usize, kind: Kind) -> Result<Cell, StoreError> {
    Ok(match kind {
        Kind::U64 => Cell::U64(get(row, index)?),
        Kind::OptU64 => Cell::OptU64(get(row, index)?),
        Kind::Text => Cell::Text(get(row, index)?),
        Kind::OptText => Cell::OptText(get(row, index)?),
        Kind::Time => Cell::Time(get(row, index)?),
        Kind::OptTime => Cell::OptTime(get(row, index)?),
        Kind::Date => Cell::Date(get(row, index)?),
        Kind::Bool => Cell::Bool(get::<i64>(row, index)? != 0),
    })
}

/// A statement's parameter as MySQL takes it (times and dates as such).
impl From<Param> for Value {
    fn from(param: Param) -> Self {
        match param {
            Param::Date(day) => Value::from(day),
            Param::Time(at) => Value::from(at),
            Param::Int(n) => Value::from(n),
            Param::Text(text) => Value::from(text),
        }
    }
}

/// Runs one SELECT on `conn` (a pooled connection, or the rollup's transaction): every row, its
/// columns read as `columns` says.
pub(super) async fn select_on<Q: Queryable>(
    conn: &mut Q,
    sql: String,
    params: Vec<Param>,
    columns: &'static [Kind],
) -> Result<Vec<Vec<Cell>>, StoreError> {
    let rows: Vec<Row> = conn.exec(sql, params).await?;
    rows.into_iter()
        .map(|mut row| {
            columns
                .iter()
                .enumerate()
                .map(|(i, kind)| cell(&mut row, i, *kind))
                .collect()
        })
        .collect()
}

//! What the stats reads ([`super::stats`]) ask of a store: to run one statement with positional
//! parameters and hand its columns back as the reader says they are. Each store implements
//! [`Reads`] in its own `stats.rs`.

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};

use super::StoreError;

/// A parameter of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Date(NaiveDate),
    Time(NaiveDateTime),
    Int(i64),
    Text(String),
}

/// What a column holds, as its reader takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    U64,
    OptU64,
    Text,
    OptText,
    Time,
    OptTime,
    Date,
    Bool,
}

/// A column's value, as its [`Kind`] says.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    U64(u64),
    OptU64(Option<u64>),
    Text(String),
    OptText(Option<String>),
    Time(NaiveDateTime),
    OptTime(Option<NaiveDateTime>),
    Date(NaiveDate),
    Bool(bool),
}

/// What the stats reads need of a store.
#[async_trait]
pub trait Reads: Send + Sync {
    /// Runs one SELECT with positional parameters: every row, its columns read as `columns` says.
    async fn select(
        &self,
        sql: String,
        params: Vec<Param>,
        columns: &'static [Kind],
    ) -> Result<Vec<Vec<Cell>>, StoreError>;

    /// `table` as a `FROM` names it to be read through `index` only: the one thing of a stats
    /// read the two dialects spell differently (MariaDB `FORCE INDEX`, SQLite `INDEXED BY`).
    fn indexed(&self, table: &str, index: &str) -> String;
}

/// A result row, read left to right.
pub(super) struct Cells(pub(super) std::vec::IntoIter<Cell>);

/// `Cells::<name>()` takes the next column, which must be a `Cell::<variant>`.
macro_rules! take {
    ($($name:ident: $variant:ident => $ty:ty),* $(,)?) => {
        impl Cells {
            $(pub(super) fn $name(&mut self) -> Result<$ty, StoreError> {
                match self.0.next() {
                    Some(Cell::$variant(value)) => Ok(value),
                    other => Err(StoreError::Decode(format!(
                        "a stats row holds {other:?} where a {} was read",
                        stringify!($variant)
                    ))),
                }
            })*
        }
    };
}

take!(
    u64: U64 => u64,
    opt_u64: OptU64 => Option<u64>,
    text: Text => String,
    opt_text: OptText => Option<String>,
    time: Time => NaiveDateTime,
    opt_time: OptTime => Option<NaiveDateTime>,
    date: Date => NaiveDate,
    bool: Bool => bool,
);

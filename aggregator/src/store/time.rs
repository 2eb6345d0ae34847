//! The time report's read of the stored summaries, written once for both stores (as `stats.rs`).

use super::reads::{Kind, Param};
use super::{sql, Store, StoreError};
use crate::domain::report::dates::DateRange;
use crate::domain::report::site::Site;
use crate::domain::report::time::TimeRow;

impl Store {
    /// The stored time sums of the range per (date, site), each with its run time (of one site,
    /// or every site's).
    pub async fn time_rows(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<TimeRow>, StoreError> {
        use Kind::{Date, U64};
        let days = vec![Param::Date(range.from), Param::Date(range.to)];
        let columns = &[Date, U64, U64, U64, U64, U64];
        self.read(sql::time_rows(site), days, columns, |r| {
            Ok(TimeRow {
                date: r.date()?,
                sessions: r.u64()?,
                visible_ms: r.u64()?,
                active_ms: r.u64()?,
                no_input_sessions: r.u64()?,
                running_ms: r.u64()?,
            })
        })
        .await
    }
}

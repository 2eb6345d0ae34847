//! The read of the sessions filtered instead of stored (`daily_site_filtered`, written by the
//! ingest's group commit), for both stores.

use chrono::NaiveDate;

use super::reads::{Kind, Param};
use super::{Store, StoreError};
use crate::domain::filter::Reason;
use crate::domain::report::dates::DateRange;
use crate::domain::report::filtered::FilteredTotals;
use crate::domain::report::site::Site;

impl Store {
    /// Sessions filtered in the range, of all sites or of one, by reason.
    pub async fn filtered_totals(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<FilteredTotals, StoreError> {
        let sql = format!(
            "SELECT reason, CAST(SUM(sessions) AS UNSIGNED) FROM daily_site_filtered \
             WHERE date BETWEEN ? AND ?{} GROUP BY reason",
            Site::clause(site, "site_id")
        );
        let params = vec![Param::Date(range.from), Param::Date(range.to)];
        let rows = self.read(sql, params, &[Kind::Text, Kind::U64], |r| {
            Ok((r.text()?, r.u64()?))
        });
        let mut totals = FilteredTotals::default();
        for (reason, sessions) in rows.await? {
            // A reason this release does not know (a later one's) is left out.
            if let Some(reason) = Reason::parse(&reason) {
                totals.add(reason, sessions);
            }
        }
        Ok(totals)
    }

    /// Sessions filtered on each day of the range, of all sites or of one, by reason: a day
    /// without any is not listed (bounded: days × reasons).
    pub async fn filtered_days(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<(NaiveDate, FilteredTotals)>, StoreError> {
        let sql = format!(
            "SELECT date, reason, CAST(SUM(sessions) AS UNSIGNED) FROM daily_site_filtered \
             WHERE date BETWEEN ? AND ?{} GROUP BY date, reason",
            Site::clause(site, "site_id")
        );
        let params = vec![Param::Date(range.from), Param::Date(range.to)];
        let columns = &[Kind::Date, Kind::Text, Kind::U64];
        let rows = self.read(sql, params, columns, |r| {
            Ok((r.date()?, r.text()?, r.u64()?))
        });
        let mut days = Vec::new();
        for (date, reason, sessions) in rows.await? {
            if let Some(reason) = Reason::parse(&reason) {
                let mut day = FilteredTotals::default();
                day.add(reason, sessions);
                days.push((date, day));
            }
        }
        Ok(days)
    }
}

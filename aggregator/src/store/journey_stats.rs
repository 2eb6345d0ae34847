//! The journey and funnel routes' reads of the stored summaries (V13, V14), for both stores: a
//! range's sums, never the raw rows.

use super::reads::{Kind, Param};
use super::{sql, Store, StoreError};
use crate::domain::report::dates::DateRange;
use crate::domain::report::journey::JourneyTotals;
use crate::domain::report::site::Site;

fn days(range: &DateRange) -> Vec<Param> {
    vec![Param::Date(range.from), Param::Date(range.to)]
}

impl Store {
    /// The journey counts and time buckets stored for the range's days, of one site or all.
    pub async fn stored_journey(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<JourneyTotals, StoreError> {
        use Kind::{Text, U64};
        let statement = sql::journey::stored_journey(site);
        let mut totals = self
            .read(statement, days(range), &[U64; 7], |r| {
                Ok(JourneyTotals {
                    sessions: r.u64()?,
                    with_run: r.u64()?,
                    with_success: r.u64()?,
                    with_failure: r.u64()?,
                    recovered: r.u64()?,
                    failed_before_success: r.u64()?,
                    succeeded_after_failure: r.u64()?,
                    ..JourneyTotals::default()
                })
            })
            .await?
            .pop()
            .unwrap_or_default();
        let statement = sql::journey::stored_journey_times(site);
        let rows = self
            .read(statement, days(range), &[Text, U64, U64], |r| {
                Ok((r.text()?, r.u64()?, r.u64()?))
            })
            .await?;
        for (measure, bucket, sessions) in rows {
            totals.add_times(
                &measure,
                u32::try_from(bucket).unwrap_or(u32::MAX),
                sessions,
            );
        }
        Ok(totals)
    }

    /// Sessions per (funnel step, step name) stored for the range's days, by step then name.
    pub async fn stored_funnel(
        &self,
        range: &DateRange,
        site: Option<&Site>,
    ) -> Result<Vec<(u32, String, u64)>, StoreError> {
        use Kind::{Text, U64};
        let statement = sql::journey::stored_funnel(site);
        self.read(statement, days(range), &[U64, Text, U64], |r| {
            Ok((
                u32::try_from(r.u64()?).unwrap_or(u32::MAX),
                r.text()?,
                r.u64()?,
            ))
        })
        .await
    }
}

//! The programs, errors and feature-data reports of a range, from the stored V8 summaries only
//! (never the raw rows): today's are kept current by the summary refresh (`jobs.rs`), see
//! [`super::live`].

use crate::domain::report::dates::DateRange;
use crate::domain::report::errors::{self, ErrorTally};
use crate::domain::report::feature_data;
use crate::domain::report::model::ProgramTotals;
use crate::domain::report::site::Site;
use crate::domain::report::top;
use crate::store::{Store, StoreError};

/// Runs of the sessions that started in the range.
pub async fn programs(
    store: &Store,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<ProgramTotals, StoreError> {
    store.stored_programs(range, &[], site).await
}

/// Failed runs of the sessions that started in the range, one tally per error group: the most
/// frequent ([`top::ERROR_GROUPS_PER_DAY`] × [`top::READ_MARGIN`]), added up per group.
pub async fn errors(
    store: &Store,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<Vec<ErrorTally>, StoreError> {
    Ok(errors_bounded(store, range, site).await?.0)
}

/// As [`errors`], with the failed runs of every group (listed or not).
pub async fn errors_bounded(
    store: &Store,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<(Vec<ErrorTally>, u64), StoreError> {
    let limit = top::ERROR_GROUPS_PER_DAY * top::READ_MARGIN;
    let (stored, runs) = store.stored_errors(range, &[], site, limit).await?;
    Ok((errors::merge(stored), runs))
}

/// (data text, events) of feature `name`'s events of the sessions that started in the range: at
/// most `limit` texts, the most frequent.
pub async fn feature_data(
    store: &Store,
    name: &str,
    range: &DateRange,
    site: Option<&Site>,
    limit: usize,
) -> Result<Vec<(String, u64)>, StoreError> {
    Ok(feature_data_bounded(store, name, range, site, limit)
        .await?
        .0)
}

/// As [`feature_data`], with the feature's events with data (every text, listed or not).
pub async fn feature_data_bounded(
    store: &Store,
    name: &str,
    range: &DateRange,
    site: Option<&Site>,
    limit: usize,
) -> Result<(Vec<(String, u64)>, u64), StoreError> {
    let (stored, events) = store
        .stored_feature_data(name, range, &[], site, limit)
        .await?;
    Ok((feature_data::merge_texts(stored, limit), events))
}

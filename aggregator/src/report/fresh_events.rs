//! The programs, errors and feature-data reports of a range: the stored V8 summaries of the days
//! that are current, plus the days the rollup has not seen since their sessions last changed
//! ([`super::live::stale_days`]) computed from the raw rows now, by the rollup's own reads and
//! functions (`summary::day_events`), added up by pure merges.

use super::dates::DateRange;
use super::errors::{self, ErrorTally};
use super::feature_data;
use super::live::stale_days;
use super::model::ProgramTotals;
use super::site::Site;
use crate::store::{DayRead, Store, StoreError};

/// Runs of the sessions that started in the range.
pub async fn programs(
    store: &Store,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<ProgramTotals, StoreError> {
    let stale = stale_days(store, range).await?;
    let stored = store.stored_programs(range, &stale, site).await?;
    let live = store.day_events(&stale, site, DayRead::Runs).await?;
    let live: Vec<ProgramTotals> = live.iter().map(|d| d.program_totals()).collect();
    Ok(ProgramTotals::sum(std::iter::once(&stored).chain(&live)))
}

/// Failed runs of the sessions that started in the range, one tally per error group.
pub async fn errors(
    store: &Store,
    range: &DateRange,
    site: Option<&Site>,
) -> Result<Vec<ErrorTally>, StoreError> {
    let stale = stale_days(store, range).await?;
    let stored = store.stored_errors(range, &stale, site).await?;
    let live = store.day_events(&stale, site, DayRead::Errors).await?;
    Ok(errors::merge(
        stored
            .into_iter()
            .chain(live.iter().flat_map(|d| d.error_tallies())),
    ))
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
    let stale = stale_days(store, range).await?;
    let stored = store.stored_feature_data(name, range, &stale, site).await?;
    let live = store
        .day_events(&stale, site, DayRead::FeatureData(Some(name)))
        .await?;
    Ok(feature_data::merge_texts(
        stored
            .into_iter()
            .chain(live.iter().flat_map(|d| d.feature_data_of(name))),
        limit,
    ))
}

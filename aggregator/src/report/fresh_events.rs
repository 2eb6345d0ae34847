//! The programs, errors and feature-data reports of a range: the stored V8 summaries of the days
//! that are current, plus the days the rollup has not seen since their sessions last changed
//! ([`super::live::stale_days`]) computed from the raw rows now, by the rollup's own reads and
//! functions (`summary::day_events`), added up by pure merges.

use super::live::stale_days;
use crate::domain::report::dates::DateRange;
use crate::domain::report::errors::{self, ErrorTally};
use crate::domain::report::feature_data;
use crate::domain::report::model::ProgramTotals;
use crate::domain::report::site::Site;
use crate::domain::report::top;
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

/// Failed runs of the sessions that started in the range, one tally per error group: the most
/// frequent ([`top::ERROR_GROUPS_PER_DAY`] × [`top::READ_MARGIN`] of the stored days, the live
/// days' capped lists), added up per group.
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
    let stale = stale_days(store, range).await?;
    let limit = top::ERROR_GROUPS_PER_DAY * top::READ_MARGIN;
    let (stored, stored_runs) = store.stored_errors(range, &stale, site, limit).await?;
    let live = store.day_events(&stale, site, DayRead::Errors).await?;
    let live_runs: u64 = live.iter().map(|d| d.failed_runs()).sum();
    let tallies = errors::merge(
        stored
            .into_iter()
            .chain(live.iter().flat_map(|d| d.error_tallies())),
    );
    Ok((tallies, stored_runs + live_runs))
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
    let stale = stale_days(store, range).await?;
    let (stored, stored_events) = store
        .stored_feature_data(name, range, &stale, site, limit)
        .await?;
    let live = store
        .day_events(&stale, site, DayRead::FeatureData(Some(name)))
        .await?;
    let live_texts: Vec<(String, u64)> =
        live.iter().flat_map(|d| d.feature_data_of(name)).collect();
    let live_events: u64 = live_texts.iter().map(|(_, n)| n).sum();
    let texts = feature_data::merge_texts(
        stored
            .into_iter()
            .chain(live_texts.into_iter().filter(|(t, _)| t != top::OTHER)),
        limit,
    );
    Ok((texts, stored_events + live_events))
}

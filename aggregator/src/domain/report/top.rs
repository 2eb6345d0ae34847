//! Bounded lists: every list a report stores per day or answers is its top N plus an "(other)"
//! remainder, so that no input can make a stored summary or an answer grow without bound while
//! totals stay exact (listed + other == total). The caps are here, in one place, and in
//! docs/reports.md.

use serde::Serialize;
use utoipa::ToSchema;

/// The label of the folded remainder in the per-day tables (a feature name, client value or
/// feature-data text). Feature names and site ids cannot be it (`[a-z0-9_.:-]`); an error
/// group can, so the errors table marks its remainder by its key ([`OTHER_KEY`]) instead.
pub const OTHER: &str = "(other)";
/// The `group_key` of a day's folded error groups (a real key is 64 hex digits).
pub const OTHER_KEY: &str = "(other)";

/// Error groups stored per day and site; the rest is one "(other)" row.
pub const ERROR_GROUPS_PER_DAY: usize = 100;
/// Features stored per day, per site and in the all-sites table; the rest is one "(other)".
pub const FEATURES_PER_DAY: usize = 200;
/// Features with data stored per day and site; the data of the rest goes to feature "(other)".
pub const DATA_FEATURES_PER_DAY: usize = 50;
/// Distinct data texts stored per day, site and feature; the rest is one "(other)" text.
pub const DATA_TEXTS_PER_DAY: usize = 50;
/// Values stored per client dimension (browser, os, device) per day and site.
pub const CLIENT_VALUES_PER_DAY: usize = 50;

/// Features an answer lists at most (`/features?limit=`, default [`DEFAULT_FEATURES`]).
pub const MAX_FEATURES: u32 = 200;
pub const DEFAULT_FEATURES: u32 = 50;
/// Values per client dimension an answer lists.
pub const CLIENT_VALUES: usize = 20;
/// Sites the live answer lists.
pub const LIVE_SITES: usize = 20;
/// Rows a stored top-N read takes beyond what an answer lists, so that merging the stored days
/// with the live ones ranks the boundary right in all but contrived cases (totals are exact
/// regardless).
pub const READ_MARGIN: usize = 2;

/// What an answer leaves out of a list: its count (in the list's unit: runs, uses, sessions,
/// events) and its share of the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct Other {
    pub count: u64,
    /// Of the total, 0..=1 (4 decimals).
    pub share: f64,
}

impl Other {
    /// The remainder of `total` once `listed` is shown.
    pub fn of(total: u64, listed: u64) -> Other {
        let count = total.saturating_sub(listed);
        let share = if total == 0 {
            0.0
        } else {
            (count as f64 / total as f64 * 10_000.0).round() / 10_000.0
        };
        Other { count, share }
    }
}

/// Keeps the first `cap` of `items` (already in rank order) and folds the rest with `fold`
/// into one remainder, if any.
pub fn cap_with<T>(mut items: Vec<T>, cap: usize, fold: impl Fn(T, T) -> T) -> (Vec<T>, Option<T>) {
    if items.len() <= cap {
        return (items, None);
    }
    let rest = items.split_off(cap);
    (items, rest.into_iter().reduce(fold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remainder_keeps_the_total_exact() {
        let o = Other::of(1000, 667);
        assert_eq!((o.count, o.share), (333, 0.333));
        assert_eq!(Other::of(0, 0), Other::default());
        assert_eq!(Other::of(5, 9).count, 0, "never negative");
    }

    #[test]
    fn a_capped_list_folds_its_tail_into_one() {
        let (kept, rest) = cap_with(vec![9, 5, 3, 2, 1], 2, |a, b| a + b);
        assert_eq!((kept, rest), (vec![9, 5], Some(6)));
        let (kept, rest) = cap_with(vec![1, 2], 2, |a, b| a + b);
        assert_eq!((kept, rest), (vec![1, 2], None));
    }
}

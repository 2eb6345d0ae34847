//! The arithmetic of one day's figures, written once. A store streams a day's sessions (and its
//! feature uses grouped per site) into [`day_pass::DayPass`], which adds them up per site into a
//! [`DayTally`], feature counts and sessions per browser/os/device, and these pure functions turn
//! that into the day's summaries. The rollup stores what they return; the stats API returns the
//! same thing computed now for a day the rollup has not seen yet, so both give the same numbers
//! by construction.

pub mod day_events;
pub mod day_pass;

use chrono::NaiveDate;

use super::model::{DailyRow, FeatureCount};
use super::top;

/// What a store reads in one pass over the sessions that started on a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayTally {
    pub sessions: u64,
    /// Distinct visitor hashes among the sessions.
    pub distinct_hashes: u64,
    /// Sessions without a hash (`ip_mode = drop`, or adopted rows).
    pub sessions_without_hash: u64,
    pub programs_run: u64,
    pub lines_executed: u64,
    pub duration_sum: u64,
    /// Sessions whose duration is known (an adopted session that never ended has none).
    pub durations_known: u64,
    pub active_sum: u64,
    pub actives_known: u64,
    pub program_errors: u64,
}

impl DayTally {
    /// Adds another site's tally; `distinct_hashes` too, which the caller corrects where one hash
    /// is on several sites.
    pub fn add(&mut self, other: &DayTally) {
        self.sessions += other.sessions;
        self.distinct_hashes += other.distinct_hashes;
        self.sessions_without_hash += other.sessions_without_hash;
        self.programs_run += other.programs_run;
        self.lines_executed += other.lines_executed;
        self.duration_sum += other.duration_sum;
        self.durations_known += other.durations_known;
        self.active_sum += other.active_sum;
        self.actives_known += other.actives_known;
        self.program_errors += other.program_errors;
    }
}

/// Sessions of one (browser, os, device) combination; `None` where the agent was never reduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientGroup {
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    pub sessions: u64,
}

/// Every summary of one day, as the rollup stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySummary {
    pub row: DailyRow,
    /// By name.
    pub features: Vec<FeatureCount>,
    /// (dimension, value, sessions) by dimension then value; dimensions `browser`, `os`, `device`.
    pub clients: Vec<(String, String, u64)>,
}

/// The label of a client value the old deployment never reduced.
pub const UNKNOWN: &str = "Unknown";

/// The day's summary, or `None` for a day without sessions (which gets no row). Unique visitors
/// are the distinct hashes plus one per session without a hash, since nothing says two such
/// sessions are the same person. Averages are rounded half up and skip unknown durations.
pub fn summarize(
    date: NaiveDate,
    tally: &DayTally,
    features: Vec<FeatureCount>,
    groups: &[ClientGroup],
) -> Option<DaySummary> {
    if tally.sessions == 0 {
        return None;
    }
    let mut features = cap_features(features);
    features.sort_by(|a, b| a.name.cmp(&b.name));
    let row = DailyRow {
        date,
        unique_visitors: tally.distinct_hashes + tally.sessions_without_hash,
        sessions: tally.sessions,
        programs_run: tally.programs_run,
        lines_executed: tally.lines_executed,
        avg_duration_seconds: rounded_average(tally.duration_sum, tally.durations_known),
        avg_active_seconds: rounded_average(tally.active_sum, tally.actives_known),
        total_duration_seconds: tally.duration_sum,
        total_active_seconds: tally.active_sum,
        program_errors: tally.program_errors,
        feature_uses: features.iter().map(|f| f.uses).sum(),
    };
    Some(DaySummary {
        row,
        features,
        clients: client_counts(groups),
    })
}

/// The [`top::FEATURES_PER_DAY`] most used features and one "(other)" with the uses (and the
/// sessions, summed: a session may count once per folded feature) of the rest.
fn cap_features(mut features: Vec<FeatureCount>) -> Vec<FeatureCount> {
    features.sort_by(|a, b| {
        (a.name == top::OTHER, b.uses, &a.name).cmp(&(b.name == top::OTHER, a.uses, &b.name))
    });
    let (mut kept, rest) = top::cap_with(features, top::FEATURES_PER_DAY, |a, b| FeatureCount {
        name: top::OTHER.into(),
        uses: a.uses + b.uses,
        sessions: a.sessions + b.sessions,
    });
    kept.extend(rest.map(|f| FeatureCount {
        name: top::OTHER.into(),
        ..f
    }));
    kept
}

/// `sum / count` rounded half up (as SQL's ROUND(AVG(..)) on non-negative integers); 0 when
/// nothing is known.
pub fn rounded_average(sum: u64, count: u64) -> u64 {
    if count == 0 {
        return 0;
    }
    (sum + count / 2) / count
}

/// Sessions per browser, per os and per device from the combinations; a missing value counts as
/// [`UNKNOWN`]. At most [`top::CLIENT_VALUES_PER_DAY`] values per dimension, the rest one
/// "(other)" value. By dimension then value.
pub fn client_counts(groups: &[ClientGroup]) -> Vec<(String, String, u64)> {
    let mut counts = std::collections::BTreeMap::<(&str, String), u64>::new();
    for group in groups {
        for (dimension, value) in [
            ("browser", &group.browser),
            ("os", &group.os),
            ("device", &group.device),
        ] {
            let value = value.clone().unwrap_or_else(|| UNKNOWN.to_string());
            *counts.entry((dimension, value)).or_default() += group.sessions;
        }
    }
    let mut out = Vec::new();
    for dimension in ["browser", "device", "os"] {
        let mut values: Vec<(String, u64)> = counts
            .iter()
            .filter(|((d, _), _)| *d == dimension)
            .map(|((_, v), n)| (v.clone(), *n))
            .collect();
        values.sort_by(|a, b| (b.1, &a.0).cmp(&(a.1, &b.0)));
        let (mut kept, rest) = top::cap_with(values, top::CLIENT_VALUES_PER_DAY, |a, b| {
            (top::OTHER.to_string(), a.1 + b.1)
        });
        kept.extend(rest.map(|(_, n)| (top::OTHER.to_string(), n)));
        kept.sort();
        out.extend(kept.into_iter().map(|(v, n)| (dimension.to_string(), v, n)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn averages_round_half_up_and_skip_unknown_durations() {
        assert_eq!(rounded_average(1000, 3), 333);
        assert_eq!(rounded_average(1001, 2), 501, "500.5 rounds up");
        assert_eq!(rounded_average(1000, 2), 500);
        assert_eq!(rounded_average(2, 3), 1, "0.67 rounds to 1");
        assert_eq!(rounded_average(1, 3), 0, "0.33 rounds to 0");
        assert_eq!(rounded_average(5, 0), 0, "nothing known");
    }

    #[test]
    fn a_day_without_sessions_has_no_summary() {
        assert_eq!(summarize(day(), &DayTally::default(), vec![], &[]), None);
    }

    #[test]
    fn visitors_count_each_unhashed_session_and_features_sum_their_uses() {
        let tally = DayTally {
            sessions: 4,
            distinct_hashes: 1,
            sessions_without_hash: 2,
            programs_run: 3,
            lines_executed: 70,
            duration_sum: 900,
            durations_known: 3,
            active_sum: 100,
            actives_known: 2,
            program_errors: 1,
        };
        let features = vec![
            FeatureCount {
                name: "save".into(),
                uses: 2,
                sessions: 1,
            },
            FeatureCount {
                name: "debugger".into(),
                uses: 3,
                sessions: 2,
            },
        ];
        let summary = summarize(day(), &tally, features, &[]).unwrap();
        assert_eq!(summary.row.unique_visitors, 3, "1 hash + 2 without");
        assert_eq!(
            (
                summary.row.avg_duration_seconds,
                summary.row.avg_active_seconds
            ),
            (300, 50),
            "the session without a duration is not averaged in"
        );
        assert_eq!(summary.row.feature_uses, 5);
        assert_eq!(summary.features[0].name, "debugger", "sorted by name");
    }

    #[test]
    fn clients_split_by_dimension_and_missing_values_are_unknown() {
        let group = |browser: Option<&str>, os: &str, sessions| ClientGroup {
            browser: browser.map(String::from),
            os: Some(os.into()),
            device: Some("desktop".into()),
            sessions,
        };
        let counts = client_counts(&[
            group(Some("Firefox 128"), "Linux", 2),
            group(None, "Linux", 1),
            group(Some("Firefox 128"), "Windows", 1),
        ]);
        let owned = |d: &str, v: &str, n| (d.to_string(), v.to_string(), n);
        assert_eq!(
            counts,
            vec![
                owned("browser", "Firefox 128", 3),
                owned("browser", UNKNOWN, 1),
                owned("device", "desktop", 4),
                owned("os", "Linux", 3),
                owned("os", "Windows", 1),
            ]
        );
    }

    #[test]
    fn a_day_keeps_its_most_used_features_and_client_values_and_folds_the_rest() {
        let features: Vec<FeatureCount> = (0..top::FEATURES_PER_DAY + 10)
            .map(|i| FeatureCount {
                name: format!("f{i:04}"),
                uses: 1 + i as u64,
                sessions: 1,
            })
            .collect();
        let uses: u64 = features.iter().map(|f| f.uses).sum();
        let capped = cap_features(features);
        assert_eq!(capped.len(), top::FEATURES_PER_DAY + 1);
        let other = capped.iter().find(|f| f.name == top::OTHER).unwrap();
        assert_eq!((other.uses, other.sessions), (55, 10), "the ten least used");
        assert_eq!(capped.iter().map(|f| f.uses).sum::<u64>(), uses);
        let groups: Vec<ClientGroup> = (0..top::CLIENT_VALUES_PER_DAY + 4)
            .map(|i| ClientGroup {
                browser: Some(format!("B{i:03}")),
                os: Some("Linux".into()),
                device: Some("desktop".into()),
                sessions: 1,
            })
            .collect();
        let counts = client_counts(&groups);
        let browsers: Vec<_> = counts.iter().filter(|(d, _, _)| d == "browser").collect();
        assert_eq!(browsers.len(), top::CLIENT_VALUES_PER_DAY + 1);
        assert!(browsers.iter().any(|(_, v, n)| v == top::OTHER && *n == 4));
    }
}

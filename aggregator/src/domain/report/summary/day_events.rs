//! A day's program runs, failed runs and feature data per site: what the rollup stores in the V8
//! tables and what the programs, errors and feature-data routes read for a day the rollup has not
//! seen yet, built from the same reads by the same functions, so both give the same answer.
//! Everything here adds up across days and sites, since a session has one start day and one site.

use std::collections::BTreeMap;

use crate::domain::report::errors::{self, ErrorTally};
use crate::domain::report::model::{ErrorRuns, ProgramTotals};
use crate::domain::report::site::Site;
use crate::domain::report::top::{self, cap_with, OTHER};

/// The site key of stored site ids that are no valid [`Site`] (never written by this aggregator):
/// their rows count in the all-sites answers, and no `?site=` can ask for them.
pub const OTHER_SITES: &str = "*";

/// The site key a stored `site_id` is summarized under.
pub fn site_key(stored: &str) -> String {
    match Site::from_stored(stored) {
        Some(site) => site.as_str().to_string(),
        None => OTHER_SITES.to_string(),
    }
}

/// Runs of one run time (ms) of one site's sessions, as the day's grouped read gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunTimeRow {
    pub execution_ms: u64,
    pub runs: u64,
    pub failed: u64,
    pub unknown: u64,
    pub lines_executed: u64,
}

/// Events per distinct data text.
type Texts = BTreeMap<String, u64>;

/// One day's events, per site key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayEvents {
    pub programs: BTreeMap<String, ProgramTotals>,
    /// By rank (runs, sessions, group), at most [`top::ERROR_GROUPS_PER_DAY`] per site.
    pub errors: BTreeMap<String, Vec<ErrorTally>>,
    /// Per site key, its error groups beyond the cap folded into one (group "(other)").
    pub errors_other: BTreeMap<String, ErrorTally>,
    /// Per (site key, feature name): events per distinct data text; at most
    /// [`top::DATA_FEATURES_PER_DAY`] features per site and [`top::DATA_TEXTS_PER_DAY`] texts
    /// per feature once [`DayEvents::cap`] ran, the rest under [`top::OTHER`].
    pub feature_data: BTreeMap<(String, String), BTreeMap<String, u64>>,
}

impl DayEvents {
    /// Runs of `site`'s sessions that took `row.execution_ms` (0 for an unknown run time).
    pub fn add_runs(&mut self, site: &str, row: RunTimeRow) {
        let totals = self.programs.entry(site_key(site)).or_default();
        totals.add(&ProgramTotals {
            runs: row.runs,
            failed: row.failed,
            unknown: row.unknown,
            lines_executed: row.lines_executed,
            execution_ms_total: row.execution_ms * row.runs,
            execution_ms_max: row.execution_ms,
            buckets: vec![(ProgramTotals::bucket_of(row.execution_ms), row.runs)],
        });
    }

    /// The day's failed runs per (site, message, session), tallied per site key and group.
    pub fn set_errors(&mut self, rows: Vec<(String, ErrorRuns)>) {
        let mut by_site: BTreeMap<String, Vec<ErrorRuns>> = BTreeMap::new();
        for (site, row) in rows {
            by_site.entry(site_key(&site)).or_default().push(row);
        }
        self.errors = by_site
            .into_iter()
            .map(|(site, rows)| (site, errors::tally(rows)))
            .collect();
    }

    /// `events` events of feature `name` by `site`'s sessions carried `data`.
    pub fn add_feature_data(&mut self, site: &str, name: String, data: String, events: u64) {
        *self
            .feature_data
            .entry((site_key(site), name))
            .or_default()
            .entry(data)
            .or_default() += events;
    }

    /// One site's error group of the day as the grouped read gives it, or (`remainder`) its
    /// groups beyond the read's cap folded into one.
    pub fn add_error_tally(&mut self, site: &str, tally: ErrorTally, remainder: bool) {
        let site = site_key(site);
        if remainder {
            let other = ErrorTally {
                group: OTHER.into(),
                ..tally
            };
            match self.errors_other.get_mut(&site) {
                Some(acc) => acc.add(other),
                None => {
                    self.errors_other.insert(site, other);
                }
            }
        } else {
            self.errors.entry(site).or_default().push(tally);
        }
    }

    /// Bounds what a day stores per site: the most frequent error groups, features with data and
    /// texts per feature, the rest folded into "(other)" (so every total still adds up). Reads
    /// already cap per stored site id; this caps again where several ids share the key
    /// [`OTHER_SITES`], and caps the features with data, which the read does not rank.
    pub fn cap(&mut self) {
        for (site, tallies) in std::mem::take(&mut self.errors) {
            let (kept, rest) = cap_with(
                errors::by_rank(errors::merge(tallies)),
                top::ERROR_GROUPS_PER_DAY,
                |mut a, b| {
                    a.add(b);
                    a
                },
            );
            if let Some(rest) = rest {
                self.add_error_tally(&site, rest, true);
            }
            self.errors.insert(site, kept);
        }
        let mut per_site: BTreeMap<String, Vec<(String, Texts)>> = BTreeMap::new();
        for ((site, name), texts) in std::mem::take(&mut self.feature_data) {
            per_site.entry(site).or_default().push((name, texts));
        }
        for (site, mut features) in per_site {
            let events = |t: &BTreeMap<String, u64>| t.values().sum::<u64>();
            features.sort_by(|a, b| {
                (a.0 == OTHER, std::cmp::Reverse(events(&a.1)), &a.0).cmp(&(
                    b.0 == OTHER,
                    std::cmp::Reverse(events(&b.1)),
                    &b.0,
                ))
            });
            let (kept, rest) = cap_with(features, top::DATA_FEATURES_PER_DAY, |a, b| {
                let all = events(&a.1) + events(&b.1);
                (
                    OTHER.to_string(),
                    BTreeMap::from([(OTHER.to_string(), all)]),
                )
            });
            for (name, texts) in kept.into_iter().chain(rest) {
                let entry = self.feature_data.entry((site.clone(), name)).or_default();
                for (text, n) in cap_texts(texts) {
                    *entry.entry(text).or_default() += n;
                }
            }
        }
    }

    /// Failed runs of all sites, listed groups and remainders.
    pub fn failed_runs(&self) -> u64 {
        let listed: u64 = self.errors.values().flatten().map(|t| t.runs).sum();
        listed + self.errors_other.values().map(|t| t.runs).sum::<u64>()
    }

    /// All sites' runs together.
    pub fn program_totals(&self) -> ProgramTotals {
        ProgramTotals::sum(self.programs.values())
    }

    /// All sites' error tallies (several per group: [`errors::merge`] adds them up).
    pub fn error_tallies(&self) -> impl Iterator<Item = ErrorTally> + '_ {
        self.errors.values().flatten().cloned()
    }

    /// All sites' (data text, events) of feature `name` (a text may come once per site).
    pub fn feature_data_of<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (String, u64)> + 'a {
        self.feature_data
            .iter()
            .filter(move |((_, feature), _)| feature == name)
            .flat_map(|(_, texts)| texts.iter().map(|(t, n)| (t.clone(), *n)))
    }
}

/// A feature's [`top::DATA_TEXTS_PER_DAY`] most frequent texts and their remainder as "(other)".
fn cap_texts(texts: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut texts: Vec<(String, u64)> = texts.into_iter().collect();
    texts.sort_by(|a, b| (a.0 == OTHER, b.1, &a.0).cmp(&(b.0 == OTHER, a.1, &b.0)));
    let (mut kept, rest) = cap_with(texts, top::DATA_TEXTS_PER_DAY, |a, b| {
        (OTHER.to_string(), a.1 + b.1)
    });
    kept.extend(rest.map(|(_, n)| (OTHER.to_string(), n)));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn runs(execution_ms: u64, runs: u64, failed: u64) -> RunTimeRow {
        RunTimeRow {
            execution_ms,
            runs,
            failed,
            unknown: 0,
            lines_executed: 5 * runs,
        }
    }

    #[test]
    fn runs_per_run_time_make_the_sites_totals_and_buckets() {
        let mut day = DayEvents::default();
        day.add_runs("ide", runs(0, 2, 1));
        day.add_runs("ide", runs(700, 1, 0));
        day.add_runs("ide", runs(600, 3, 1));
        day.add_runs("docs", runs(3, 1, 0));
        let ide = &day.programs["ide"];
        assert_eq!(
            (
                ide.runs,
                ide.failed,
                ide.execution_ms_total,
                ide.execution_ms_max
            ),
            (6, 2, 2500, 700)
        );
        assert_eq!(ide.buckets, vec![(0, 2), (9, 4)]);
        let all = day.program_totals();
        assert_eq!((all.runs, all.lines_executed), (7, 35));
        assert_eq!(all.buckets, vec![(0, 2), (1, 1), (9, 4)]);
    }

    #[test]
    fn stored_ids_that_are_no_site_are_summarized_together() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let failed = |session: &str| ErrorRuns {
            message: "?OUT OF DATA IN 10".into(),
            session_id: session.into(),
            runs: 1,
            last_seen: at,
        };
        let mut day = DayEvents::default();
        day.add_runs("Old Site", runs(5, 1, 1));
        day.add_runs("OLD", runs(5, 2, 0));
        day.set_errors(vec![
            ("Old Site".into(), failed("a")),
            ("OLD".into(), failed("b")),
            ("ide".into(), failed("c")),
        ]);
        day.add_feature_data("OLD", "save".into(), "{}".into(), 2);
        day.add_feature_data("Old Site", "save".into(), "{}".into(), 1);
        day.add_feature_data("ide", "save".into(), "{}".into(), 4);
        assert_eq!(day.programs[OTHER_SITES].runs, 3);
        assert_eq!(day.errors[OTHER_SITES][0].sessions, 2);
        assert_eq!(day.errors["ide"][0].sessions, 1);
        let mut save: Vec<_> = day.feature_data_of("save").collect();
        save.sort();
        assert_eq!(save, vec![("{}".to_string(), 3), ("{}".to_string(), 4)]);
        assert_eq!(day.feature_data_of("debugger").count(), 0);
        assert_eq!(site_key(""), "", "pages that name no site are a site");
    }

    #[test]
    fn a_day_keeps_its_most_frequent_groups_and_texts_and_folds_the_rest() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let tally = |group: String, runs| ErrorTally {
            group,
            runs,
            sessions: 1,
            last_seen: at,
            example: "e".into(),
        };
        let mut day = DayEvents::default();
        let groups = top::ERROR_GROUPS_PER_DAY + 5;
        for i in 0..groups {
            // Two stored ids that are no site share the key "*": capped again after merging.
            day.add_error_tally(
                if i % 2 == 0 { "A A" } else { "B B" },
                tally(format!("g{i}"), 1 + i as u64),
                false,
            );
        }
        day.add_error_tally("A A", tally("ignored".into(), 7), true);
        for i in 0..(top::DATA_TEXTS_PER_DAY + 3) {
            day.add_feature_data("ide", "save".into(), format!("t{i}"), 1);
        }
        for f in 0..(top::DATA_FEATURES_PER_DAY + 2) {
            day.add_feature_data("ide", format!("f{f}"), "{}".into(), 2);
        }
        let before = day.failed_runs();
        let events: u64 = day.feature_data.values().flat_map(|t| t.values()).sum();
        day.cap();
        assert_eq!(day.errors[OTHER_SITES].len(), top::ERROR_GROUPS_PER_DAY);
        assert_eq!(
            day.errors[OTHER_SITES][0].group,
            format!("g{}", groups - 1),
            "most runs first"
        );
        assert_eq!(day.errors_other[OTHER_SITES].runs, 7 + 1 + 2 + 3 + 4 + 5);
        assert_eq!(day.failed_runs(), before, "nothing lost");
        let sites_features: Vec<&String> = day.feature_data.keys().map(|(_, f)| f).collect();
        assert_eq!(
            sites_features.len(),
            top::DATA_FEATURES_PER_DAY + 1,
            "and (other)"
        );
        assert!(sites_features.contains(&&OTHER.to_string()));
        let save = &day.feature_data[&("ide".to_string(), "save".to_string())];
        assert_eq!(save.len(), top::DATA_TEXTS_PER_DAY + 1);
        assert_eq!(save[OTHER], 3);
        let after: u64 = day.feature_data.values().flat_map(|t| t.values()).sum();
        assert_eq!(after, events, "nothing lost");
    }
}

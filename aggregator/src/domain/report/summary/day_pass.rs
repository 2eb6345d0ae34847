//! One pass over a day's sessions: every aggregate of the day, for all sites and for each site,
//! from the session rows as a store streams them plus the day's feature uses grouped per site.
//! The result goes through [`super::summarize`], so the arithmetic stays written once, and the
//! all-sites figures are made from the per-site ones: everything adds up across sites except
//! unique visitors, where a hash seen on two sites counts once in the total.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};

use super::{summarize, ClientGroup, DaySummary, DayTally};
use crate::domain::report::hourly::{HourRow, HourTally};
use crate::domain::report::model::FeatureCount;
use crate::domain::report::site::Site;
use crate::domain::report::time::TimeTally;
use crate::domain::zone::ReportZone;

/// One session of the day, as the store reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionRow {
    pub site: String,
    pub visitor_hash: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    pub programs_run: u64,
    pub lines_executed: u64,
    /// `None` for an adopted session that never ended.
    pub duration_seconds: Option<u64>,
    pub active_seconds: Option<u64>,
    pub program_errors: u64,
    /// Only a server ever reported the session (docs/api.md, server batches): it counts, but
    /// as no visitor.
    pub no_visitor: bool,
    /// When it started (UTC): its local hour of the hourly report ([`ReportZone::hour_of`]).
    pub start_time: NaiveDateTime,
    /// Stored visible and active milliseconds (0 where no browser measured them): the time
    /// report's ([`TimeTally`]).
    pub visible_ms: u64,
    pub active_ms: u64,
}

/// A (browser, os, device) combination.
type Client = (Option<String>, Option<String>, Option<String>);

/// What one site's sessions of the day add up to so far.
#[derive(Debug, Default)]
struct SiteDay {
    /// Everything but `distinct_hashes`, which is `hashes.len()`.
    tally: DayTally,
    hashes: HashSet<String>,
    clients: HashMap<Client, u64>,
    features: Vec<FeatureCount>,
    /// By the hour the sessions started.
    hours: BTreeMap<u8, HourTally>,
    time: TimeTally,
}

/// The day's aggregates being gathered, per stored `site_id`, with the zone whose hours the
/// sessions count in (UTC by default).
#[derive(Debug, Default)]
pub struct DayPass {
    sites: BTreeMap<String, SiteDay>,
    zone: ReportZone,
}

/// Every summary of one day: all sites together, and each valid site that had sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRollup {
    pub total: DaySummary,
    /// By site id.
    pub sites: Vec<(Site, DaySummary)>,
    /// Each stored site id's hours with sessions (`daily_site_hours`), by site then hour.
    pub hours: Vec<(String, HourRow)>,
    /// Each stored site id's visible and active time (`daily_site_time`), by site; a site
    /// without a measured session has none.
    pub time: Vec<(String, TimeTally)>,
}

impl DayRollup {
    /// The day's sessions per stored site id (every session has its hour).
    pub fn sessions_per_site(&self) -> Vec<(String, u64)> {
        let mut sites = BTreeMap::<&str, u64>::new();
        for (site, hour) in &self.hours {
            *sites.entry(site).or_default() += hour.sessions;
        }
        sites.into_iter().map(|(s, n)| (s.to_string(), n)).collect()
    }
}

impl DayPass {
    /// A pass over a local day of `zone`.
    pub fn in_zone(zone: ReportZone) -> Self {
        DayPass {
            sites: BTreeMap::new(),
            zone,
        }
    }

    pub fn add_session(&mut self, row: SessionRow) {
        let hour = self.zone.hour_of(row.start_time);
        let day = self.sites.entry(row.site).or_default();
        day.time.add_session(row.visible_ms, row.active_ms);
        day.hours.entry(hour).or_default().add_session(
            row.visitor_hash.as_deref(),
            row.no_visitor,
            &HourRow {
                programs_run: row.programs_run,
                program_errors: row.program_errors,
                lines_executed: row.lines_executed,
                total_duration_seconds: row.duration_seconds.unwrap_or(0),
                total_active_seconds: row.active_seconds.unwrap_or(0),
                ..HourRow::default()
            },
        );
        let tally = &mut day.tally;
        tally.sessions += 1;
        match row.visitor_hash {
            Some(hash) => {
                day.hashes.insert(hash);
            }
            None if row.no_visitor => {}
            None => tally.sessions_without_hash += 1,
        }
        tally.programs_run += row.programs_run;
        tally.lines_executed += row.lines_executed;
        if let Some(seconds) = row.duration_seconds {
            tally.duration_sum += seconds;
            tally.durations_known += 1;
        }
        if let Some(seconds) = row.active_seconds {
            tally.active_sum += seconds;
            tally.actives_known += 1;
        }
        tally.program_errors += row.program_errors;
        *day.clients
            .entry((row.browser, row.os, row.device))
            .or_default() += 1;
    }

    /// A feature's uses by the sessions of `site` (one row of the grouped read per site and name).
    pub fn add_feature(&mut self, site: String, feature: FeatureCount) {
        self.sites.entry(site).or_default().features.push(feature);
    }

    /// The day's summaries; `None` for a day without sessions. A stored site id that is not a
    /// valid [`Site`] (never written by this aggregator) counts in the total only.
    pub fn finish(self, date: NaiveDate) -> Option<DayRollup> {
        let distinct_overall: usize = if self.sites.len() < 2 {
            self.sites.values().map(|d| d.hashes.len()).sum()
        } else {
            let all: HashSet<&str> = self
                .sites
                .values()
                .flat_map(|d| d.hashes.iter().map(String::as_str))
                .collect();
            all.len()
        };
        let mut overall = DayTally::default();
        let mut features = BTreeMap::<String, FeatureCount>::new();
        let mut clients = Vec::new();
        let mut sites = Vec::new();
        let mut hours = Vec::new();
        let mut time = Vec::new();
        for (id, day) in self.sites {
            if !day.time.is_empty() {
                time.push((id.clone(), day.time.clone()));
            }
            for (hour, tally) in day.hours {
                hours.push((id.clone(), tally.finish(date, hour)));
            }
            let tally = DayTally {
                distinct_hashes: day.hashes.len() as u64,
                ..day.tally
            };
            overall.add(&tally);
            let groups: Vec<ClientGroup> = day
                .clients
                .into_iter()
                .map(|((browser, os, device), sessions)| ClientGroup {
                    browser,
                    os,
                    device,
                    sessions,
                })
                .collect();
            for f in &day.features {
                // A session has one site, so the sessions using a feature add up across sites.
                let sum = features.entry(f.name.clone()).or_insert(FeatureCount {
                    name: f.name.clone(),
                    uses: 0,
                    sessions: 0,
                });
                sum.uses += f.uses;
                sum.sessions += f.sessions;
            }
            if let Some(site) = Site::from_stored(&id) {
                if let Some(summary) = summarize(date, &tally, day.features, &groups) {
                    sites.push((site, summary));
                }
            }
            clients.extend(groups);
        }
        overall.distinct_hashes = distinct_overall as u64;
        let total = summarize(date, &overall, features.into_values().collect(), &clients)?;
        Some(DayRollup {
            total,
            sites,
            hours,
            time,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn session(site: &str, hash: Option<&str>, browser: Option<&str>) -> SessionRow {
        SessionRow {
            site: site.into(),
            visitor_hash: hash.map(String::from),
            browser: browser.map(String::from),
            os: Some("Linux".into()),
            device: Some("desktop".into()),
            programs_run: 2,
            lines_executed: 10,
            duration_seconds: Some(100),
            active_seconds: Some(50),
            program_errors: 1,
            no_visitor: false,
            start_time: day().and_hms_opt(10, 30, 0).unwrap(),
            visible_ms: 90_000,
            active_ms: 40_000,
        }
    }

    #[test]
    fn a_session_only_a_server_reported_is_no_visitor() {
        let mut pass = DayPass::default();
        pass.add_session(session("ide", None, Some("Firefox")));
        pass.add_session(SessionRow {
            browser: None,
            os: None,
            device: None,
            no_visitor: true,
            ..session("ide", None, None)
        });
        let total = pass.finish(day()).unwrap().total.row;
        assert_eq!(total.sessions, 2);
        assert_eq!(
            total.unique_visitors, 1,
            "the hashless browser session only"
        );
        assert_eq!(total.programs_run, 4, "its runs count");
    }

    fn feature(name: &str, uses: u64, sessions: u64) -> FeatureCount {
        FeatureCount {
            name: name.into(),
            uses,
            sessions,
        }
    }

    #[test]
    fn each_site_has_the_hours_its_sessions_started_in() {
        let mut pass = DayPass::default();
        let at = |h, m| day().and_hms_opt(h, m, 0).unwrap();
        for (site, hash, start) in [
            ("ide", "a", at(9, 59)),
            ("ide", "a", at(10, 0)),
            ("ide", "a", at(10, 59)),
            ("ide", "b", at(10, 30)),
            ("docs", "a", at(10, 0)),
        ] {
            pass.add_session(SessionRow {
                start_time: start,
                ..session(site, Some(hash), None)
            });
        }
        let rollup = pass.finish(day()).unwrap();
        let hours: Vec<(&str, u8, u64, u64, u64)> = rollup
            .hours
            .iter()
            .map(|(s, h)| {
                (
                    s.as_str(),
                    h.hour,
                    h.sessions,
                    h.unique_visitors,
                    h.programs_run,
                )
            })
            .collect();
        assert_eq!(
            hours,
            vec![
                ("docs", 10, 1, 1, 2),
                ("ide", 9, 1, 1, 2),
                ("ide", 10, 3, 2, 6)
            ]
        );
    }

    #[test]
    fn each_site_has_its_measured_time_and_a_site_without_any_has_none() {
        let mut pass = DayPass::default();
        pass.add_session(session("ide", Some("a"), None));
        pass.add_session(SessionRow {
            active_ms: 0,
            ..session("ide", Some("b"), None)
        });
        pass.add_session(SessionRow {
            visible_ms: 0,
            active_ms: 0,
            no_visitor: true,
            ..session("server", None, None)
        });
        let time = pass.finish(day()).unwrap().time;
        assert_eq!(
            time,
            vec![(
                "ide".to_string(),
                TimeTally {
                    sessions: 2,
                    visible_ms: 180_000,
                    active_ms: 40_000,
                    no_input_sessions: 1,
                }
            )]
        );
    }

    #[test]
    fn a_day_without_sessions_has_no_rollup() {
        assert_eq!(DayPass::default().finish(day()), None);
    }

    #[test]
    fn a_visitor_on_two_sites_counts_once_in_the_total_and_once_on_each_site() {
        let mut pass = DayPass::default();
        pass.add_session(session("ide", Some("a"), Some("Firefox")));
        pass.add_session(session("ide", Some("a"), Some("Firefox")));
        pass.add_session(session("docs", Some("a"), None));
        pass.add_session(session("docs", Some("b"), Some("Chrome")));
        pass.add_session(session("docs", None, Some("Chrome")));
        let rollup = pass.finish(day()).unwrap();
        let sites: Vec<(&str, u64, u64)> = rollup
            .sites
            .iter()
            .map(|(s, d)| (s.as_str(), d.row.unique_visitors, d.row.sessions))
            .collect();
        assert_eq!(
            sites,
            vec![("docs", 3, 3), ("ide", 1, 2)],
            "docs: a, b and one without a hash"
        );
        assert_eq!(
            (rollup.total.row.unique_visitors, rollup.total.row.sessions),
            (3, 5),
            "a, b and the one without a hash: `a` once although it is on both sites"
        );
        assert_eq!(
            (
                rollup.total.row.programs_run,
                rollup.total.row.program_errors
            ),
            (10, 5)
        );
        let browsers: Vec<_> = rollup
            .total
            .clients
            .iter()
            .filter(|(d, _, _)| d == "browser")
            .map(|(_, v, n)| (v.as_str(), *n))
            .collect();
        assert_eq!(
            browsers,
            vec![("Chrome", 2), ("Firefox", 2), ("Unknown", 1)]
        );
    }

    #[test]
    fn unknown_durations_stay_out_of_the_averages_of_the_site_and_the_total() {
        let mut pass = DayPass::default();
        pass.add_session(session("ide", Some("a"), None));
        let mut open = session("ide", Some("b"), None);
        (open.duration_seconds, open.active_seconds) = (None, None);
        pass.add_session(open);
        let mut long = session("docs", Some("c"), None);
        (long.duration_seconds, long.active_seconds) = (Some(301), Some(0));
        pass.add_session(long);
        let rollup = pass.finish(day()).unwrap();
        assert_eq!(rollup.sites[1].1.row.avg_duration_seconds, 100, "ide");
        assert_eq!(
            (
                rollup.total.row.avg_duration_seconds,
                rollup.total.row.avg_active_seconds,
                rollup.total.row.total_duration_seconds
            ),
            (201, 25, 401),
            "(100 + 301) / 2 rounded up, (50 + 0) / 2"
        );
    }

    #[test]
    fn features_add_up_across_sites_and_a_malformed_site_counts_in_the_total_only() {
        let mut pass = DayPass::default();
        pass.add_session(session("ide", Some("a"), None));
        pass.add_session(session("Bad Site", Some("b"), None));
        pass.add_feature("ide".into(), feature("save", 3, 1));
        pass.add_feature("Bad Site".into(), feature("save", 2, 1));
        pass.add_feature("Bad Site".into(), feature("debugger", 1, 1));
        let rollup = pass.finish(day()).unwrap();
        assert_eq!(rollup.sites.len(), 1);
        assert_eq!(rollup.sites[0].1.features, vec![feature("save", 3, 1)]);
        assert_eq!(
            rollup.total.features,
            vec![feature("debugger", 1, 1), feature("save", 5, 2)]
        );
        assert_eq!(
            (rollup.total.row.sessions, rollup.total.row.feature_uses),
            (2, 6)
        );
    }

    #[test]
    fn hours_are_local_and_the_repeated_hour_is_one() {
        // 2026-11-01 in Los Angeles: 01:30 PDT (08:30 UTC) and 01:30 PST (09:30 UTC).
        let la: ReportZone = "America/Los_Angeles".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let mut pass = DayPass::in_zone(la);
        for (hash, h) in [("a", 8), ("b", 9), ("a", 23)] {
            pass.add_session(SessionRow {
                site: "ide".into(),
                visitor_hash: Some(hash.into()),
                start_time: date.and_hms_opt(h, 30, 0).unwrap(),
                ..SessionRow::default()
            });
        }
        let hours: Vec<(u8, u64, u64)> = pass
            .finish(date)
            .unwrap()
            .hours
            .iter()
            .map(|(_, h)| (h.hour, h.sessions, h.unique_visitors))
            .collect();
        assert_eq!(hours, [(1, 2, 2), (15, 1, 1)], "23:30 UTC is 15:30 PST");
    }
}

//! Per-site time zones (`[site_timezones]`, `USAGE_SITE_TIMEZONES`): a site may count its days
//! and hours in its own zone. All-sites figures count in `report_timezone`; a site's figures
//! (its `daily_site_*` rows, every answer with `?site=`) in its override, else in the report
//! zone. This module is the one rule for which zone a figure counts in ([`Zones::of`]) and for
//! the rollup passes that write each zone's rows ([`Zones::passes`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::report::site::Site;
use super::zone::ReportZone;

/// At most this many overrides: each override zone is one more rollup pass over its sites' days,
/// and a list this long is a configuration mistake rather than a need.
pub const MAX_SITE_TIMEZONES: usize = 100;

/// Site id -> zone; empty by default (every site counts in the report zone, as before).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "BTreeMap<String, String>")]
pub struct SiteZones(Arc<BTreeMap<Site, ReportZone>>);

impl SiteZones {
    /// The overrides from `(site id, zone name)` entries; every bad entry is named, one a line.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (String, String)>,
    ) -> Result<SiteZones, String> {
        let mut zones = BTreeMap::new();
        let mut errors = Vec::new();
        for (site, name) in entries {
            let site = site.trim();
            let entry = format!("site_timezones: {site:?} = {name:?}");
            let Some(id) = crate::domain::event::is_name(site)
                .then(|| Site::from_stored(site))
                .flatten()
            else {
                errors.push(format!(
                    "{entry}: the site id must match [a-z0-9_.:-]{{1,64}} and not be only dots"
                ));
                continue;
            };
            match name.parse::<ReportZone>() {
                Ok(zone) => {
                    if zones.insert(id, zone).is_some() {
                        errors.push(format!("{entry}: the site is given twice"));
                    }
                }
                Err(e) => errors.push(format!("{entry}: {e}")),
            }
        }
        if zones.len() > MAX_SITE_TIMEZONES {
            errors.push(format!(
                "site_timezones: {} entries, at most {MAX_SITE_TIMEZONES}",
                zones.len()
            ));
        }
        match errors.is_empty() {
            true => Ok(SiteZones(Arc::new(zones))),
            false => Err(errors.join("\n")),
        }
    }

    /// The override of `site`, if any.
    pub fn get(&self, site: &str) -> Option<ReportZone> {
        Site::from_stored(site).and_then(|s| self.0.get(&s).copied())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Site, ReportZone)> {
        self.0.iter().map(|(s, z)| (s, *z))
    }
}

impl TryFrom<BTreeMap<String, String>> for SiteZones {
    type Error = String;

    fn try_from(table: BTreeMap<String, String>) -> Result<Self, String> {
        SiteZones::from_entries(table)
    }
}

/// `ide=America/Los_Angeles,docs=Europe/Berlin` (`USAGE_SITE_TIMEZONES`); empty is none.
impl FromStr for SiteZones {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((site, zone)) = entry.split_once('=') else {
                return Err(format!(
                    "site_timezones: {entry:?} is not site=Zone (e.g. ide=America/Los_Angeles)"
                ));
            };
            entries.push((site.trim().to_string(), zone.trim().to_string()));
        }
        SiteZones::from_entries(entries)
    }
}

/// The report zone and the sites' overrides: which zone each figure counts in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zones {
    pub report: ReportZone,
    pub sites: SiteZones,
}

/// Which sites' rows a rollup pass writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteScope {
    /// The all-sites rows and the rows of every site but these (the report zone's pass; the
    /// sites are those with an override of another zone).
    AllBut(Vec<Site>),
    /// Only these sites' rows (an override zone's pass).
    Only(Vec<Site>),
}

/// One rollup pass of a local day: its zone and the rows it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZonePass {
    pub zone: ReportZone,
    pub scope: SiteScope,
}

impl Zones {
    /// The zone of one site's figures (`Some(site id)`), or of all sites' (`None`).
    pub fn of(&self, site: Option<&str>) -> ReportZone {
        site.and_then(|s| self.sites.get(s)).unwrap_or(self.report)
    }

    /// The passes that roll up a local day, the report zone's first: it writes the all-sites
    /// rows and every site counting in the report zone; then one pass per other zone, writing
    /// only the sites of that zone. An override naming the report zone is no override.
    pub fn passes(&self) -> Vec<ZonePass> {
        let mut by_zone: BTreeMap<&str, (ReportZone, Vec<Site>)> = BTreeMap::new();
        for (site, zone) in self.sites.iter().filter(|(_, z)| *z != self.report) {
            by_zone
                .entry(zone.name())
                .or_insert_with(|| (zone, Vec::new()))
                .1
                .push(site.clone());
        }
        let others: Vec<Site> = by_zone.values().flat_map(|(_, s)| s.clone()).collect();
        let mut passes = vec![ZonePass {
            zone: self.report,
            scope: SiteScope::AllBut(others),
        }];
        passes.extend(by_zone.into_values().map(|(zone, sites)| ZonePass {
            zone,
            scope: SiteScope::Only(sites),
        }));
        passes
    }

    /// The earliest of today in every zone in use: the salts of yesterday there are still
    /// needed (`visitor::salts`).
    pub fn earliest_today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.sites
            .iter()
            .map(|(_, z)| z.today(now))
            .fold(self.report.today(now), NaiveDate::min)
    }
}

impl SiteScope {
    /// Whether the pass writes the all-sites rows (tables without a site column).
    pub fn writes_all_sites(&self) -> bool {
        matches!(self, SiteScope::AllBut(_))
    }

    /// Whether the pass writes `site`'s rows.
    pub fn has(&self, site: &str) -> bool {
        match self {
            SiteScope::AllBut(sites) => !sites.iter().any(|s| s.as_str() == site),
            SiteScope::Only(sites) => sites.iter().any(|s| s.as_str() == site),
        }
    }

    /// ` AND <column> [NOT] IN ('a', ...)`: the site rows the pass replaces (nothing for all).
    /// Sites are valid ids ([`Site`]), so they are written as literals.
    pub fn clause(&self, column: &str) -> String {
        let (not, sites) = match self {
            SiteScope::AllBut(sites) if sites.is_empty() => return String::new(),
            SiteScope::AllBut(sites) => (" NOT", sites),
            SiteScope::Only(sites) => ("", sites),
        };
        let mut out = format!(" AND {column}{not} IN (");
        for (i, site) in sites.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            let _ = write!(out, "{sep}'{}'", site.as_str());
        }
        out.push(')');
        out
    }

    /// The sessions the pass reads: every one for the all-sites rows, else only its sites'.
    pub fn read_clause(&self, column: &str) -> String {
        match self {
            SiteScope::AllBut(_) => String::new(),
            SiteScope::Only(_) => self.clause(column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn zones(report: &str, sites: &str) -> Zones {
        Zones {
            report: report.parse().unwrap(),
            sites: sites.parse().unwrap(),
        }
    }

    fn site(id: &str) -> Site {
        Site::parse(id).unwrap()
    }

    #[test]
    fn a_site_counts_in_its_override_else_in_the_report_zone() {
        let z = zones("UTC", "ide=America/Los_Angeles, docs = Europe/Berlin");
        assert_eq!(z.of(Some("ide")).name(), "America/Los_Angeles");
        assert_eq!(z.of(Some("docs")).name(), "Europe/Berlin");
        assert_eq!(z.of(Some("blog")).name(), "UTC");
        assert_eq!(z.of(None).name(), "UTC", "all sites");
        assert!(zones("UTC", "").sites.is_empty());
    }

    #[test]
    fn the_report_zone_pass_comes_first_and_each_other_zone_has_one() {
        let z = zones(
            "Europe/Berlin",
            "ide=America/Los_Angeles,lab=America/Los_Angeles,docs=Europe/Berlin,jp=Asia/Tokyo",
        );
        let passes = z.passes();
        let names: Vec<_> = passes.iter().map(|p| p.zone.name()).collect();
        assert_eq!(
            names,
            ["Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo"]
        );
        assert_eq!(
            passes[0].scope,
            SiteScope::AllBut(vec![site("ide"), site("lab"), site("jp")]),
            "docs names the report zone: no override"
        );
        assert_eq!(
            passes[1].scope,
            SiteScope::Only(vec![site("ide"), site("lab")])
        );
        assert_eq!(passes[2].scope, SiteScope::Only(vec![site("jp")]));
        let plain = zones("UTC", "").passes();
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].scope, SiteScope::AllBut(vec![]));
    }

    #[test]
    fn a_scope_names_the_rows_it_replaces() {
        let all = SiteScope::AllBut(vec![]);
        assert_eq!(all.clause("site_id"), "");
        assert!(all.writes_all_sites() && all.has("ide"));
        let but = SiteScope::AllBut(vec![site("ide"), site("jp")]);
        assert_eq!(
            but.clause("s.site_id"),
            " AND s.site_id NOT IN ('ide', 'jp')"
        );
        assert_eq!(
            but.read_clause("s.site_id"),
            "",
            "all-sites rows need every session"
        );
        assert!(!but.has("ide") && but.has("docs"));
        let only = SiteScope::Only(vec![site("ide")]);
        assert_eq!(only.clause("site_id"), " AND site_id IN ('ide')");
        assert_eq!(only.read_clause("site_id"), " AND site_id IN ('ide')");
        assert!(!only.writes_all_sites() && only.has("ide") && !only.has("docs"));
    }

    #[test]
    fn salts_are_kept_for_the_zone_furthest_behind() {
        let z = zones("UTC", "ide=America/Los_Angeles,jp=Asia/Tokyo");
        // 03:00 UTC on 28 November: 19:00 on the 27th in Los Angeles, noon in Tokyo.
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap();
        assert_eq!(
            z.earliest_today(now),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
        assert_eq!(
            zones("UTC", "").earliest_today(now),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn bad_entries_are_named() {
        let refused = "ide=Mars/Olympus".parse::<SiteZones>().unwrap_err();
        assert!(
            refused.contains("\"ide\" = \"Mars/Olympus\"") && refused.contains("IANA"),
            "{refused}"
        );
        let refused = "IDE=UTC,ok=UTC,bad site=UTC"
            .parse::<SiteZones>()
            .unwrap_err();
        assert_eq!(refused.lines().count(), 2, "{refused}");
        assert!(refused.contains("\"IDE\"") && refused.contains("\"bad site\""));
        let refused = "ide".parse::<SiteZones>().unwrap_err();
        assert!(refused.contains("site=Zone"), "{refused}");
        let refused = "ide=UTC,ide=Asia/Tokyo".parse::<SiteZones>().unwrap_err();
        assert!(refused.contains("twice"), "{refused}");
        assert!(", ,".parse::<SiteZones>().unwrap().is_empty());
    }

    #[test]
    fn at_most_a_hundred_overrides() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("s{i}=UTC"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert!(list(MAX_SITE_TIMEZONES).parse::<SiteZones>().is_ok());
        let refused = list(MAX_SITE_TIMEZONES + 1)
            .parse::<SiteZones>()
            .unwrap_err();
        assert!(refused.contains("101 entries, at most 100"), "{refused}");
    }
}

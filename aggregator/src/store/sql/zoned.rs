//! A rollup pass of one zone in SQL (`domain::site_zones`): which stored rows of a day it
//! replaces, which of the rows it computed it writes, and which sites' days were rolled up in
//! another zone than theirs now (V18), written once for both stores.

use std::fmt::Write as _;

use super::events::EVENT_TABLES;
use super::journey::JOURNEY_TABLES;
use super::rollup::{Cell, TableRows, DAY_TABLES};
use crate::domain::site_zones::{SiteScope, Zones};

/// Every report table of a day, all-sites ones (no `site_id`) first.
pub fn day_tables() -> impl Iterator<Item = &'static str> {
    DAY_TABLES
        .iter()
        .chain(&EVENT_TABLES)
        .chain(&JOURNEY_TABLES)
        .copied()
}

/// Whether `table` has a row per site (every `daily_site_*` table); the others are all sites'.
pub fn is_site_table(table: &str) -> bool {
    table.starts_with("daily_site_")
}

/// The DELETE (one `?`: the date) of `table`'s rows that a pass of `scope` replaces; none for
/// an all-sites table in an override zone's pass, which writes none of its rows.
pub fn delete_of(table: &str, scope: &SiteScope) -> Option<String> {
    if is_site_table(table) {
        Some(format!(
            "DELETE FROM {table} WHERE date = ?{}",
            scope.clause("site_id")
        ))
    } else {
        scope
            .writes_all_sites()
            .then(|| format!("DELETE FROM {table} WHERE date = ?"))
    }
}

/// The rows of `tables` a pass of `scope` writes: a site's rows only if the pass is its zone's,
/// the all-sites rows only in the report zone's pass.
pub fn in_scope(tables: Vec<TableRows>, scope: &SiteScope) -> Vec<TableRows> {
    tables
        .into_iter()
        .filter_map(|mut table| {
            match table.columns.iter().position(|c| *c == "site_id") {
                Some(at) => table
                    .rows
                    .retain(|row| matches!(&row[at], Cell::Text(site) if scope.has(site))),
                None if !scope.writes_all_sites() => return None,
                None => {}
            }
            Some(table)
        })
        .collect()
}

/// The (date, site) of every site's day from `?` on that was rolled up in another zone than the
/// site's now (`daily_site_usage.time_zone`, V18). A NULL there is a release before V18, which
/// rolled a site's day up with the all-sites row in the zone that row records (V16; NULL there
/// too is UTC). Zone names and site ids are checked ([`crate::domain::zone::ReportZone`],
/// [`crate::domain::report::site::Site`]), so they are written as literals.
pub fn site_days_of_other_zones(zones: &Zones) -> String {
    let report = format!("'{}'", zones.report.name());
    // A CASE needs a WHEN: without overrides every site's zone is the report zone.
    let expected = match zones.sites.is_empty() {
        true => report,
        false => {
            let mut case = String::from("CASE");
            for (site, zone) in zones.sites.iter() {
                let (site, zone) = (site.as_str(), zone.name());
                let _ = write!(case, " WHEN s.site_id = '{site}' THEN '{zone}'");
            }
            format!("{case} ELSE {report} END")
        }
    };
    format!(
        "SELECT s.date, s.site_id FROM daily_site_usage s \
         LEFT JOIN daily_usage_summary u ON u.date = s.date \
         WHERE s.date >= ? AND COALESCE(s.time_zone, u.time_zone, 'UTC') <> {expected}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::site::Site;

    fn site(id: &str) -> Site {
        Site::parse(id).unwrap()
    }

    #[test]
    fn an_override_pass_replaces_only_its_sites_rows() {
        let only = SiteScope::Only(vec![site("ide")]);
        assert_eq!(delete_of("daily_usage_summary", &only), None);
        assert_eq!(
            delete_of("daily_site_hours", &only).unwrap(),
            "DELETE FROM daily_site_hours WHERE date = ? AND site_id IN ('ide')"
        );
        let but = SiteScope::AllBut(vec![site("ide")]);
        assert_eq!(
            delete_of("daily_client_usage", &but).unwrap(),
            "DELETE FROM daily_client_usage WHERE date = ?"
        );
        assert_eq!(
            delete_of("daily_site_funnel", &but).unwrap(),
            "DELETE FROM daily_site_funnel WHERE date = ? AND site_id NOT IN ('ide')"
        );
        assert_eq!(day_tables().filter(|t| !is_site_table(t)).count(), 3);
    }

    #[test]
    fn a_pass_writes_the_rows_of_its_scope() {
        let date = Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let tables = || {
            vec![
                TableRows::new(
                    "daily_feature_usage",
                    &["date", "n"],
                    1,
                    vec![vec![date.clone(), Cell::Number(3)]],
                ),
                TableRows::new(
                    "daily_site_time",
                    &["date", "site_id", "n"],
                    2,
                    ["docs", "ide"]
                        .map(|s| vec![date.clone(), Cell::Text(s.into()), Cell::Number(1)])
                        .to_vec(),
                ),
            ]
        };
        let only = in_scope(tables(), &SiteScope::Only(vec![site("ide")]));
        assert_eq!(only.len(), 1, "no all-sites rows");
        assert_eq!(only[0].rows.len(), 1);
        assert_eq!(only[0].rows[0][1], Cell::Text("ide".into()));
        let but = in_scope(tables(), &SiteScope::AllBut(vec![site("ide")]));
        assert_eq!(but.len(), 2);
        assert_eq!(but[1].rows.len(), 1);
        assert_eq!(but[1].rows[0][1], Cell::Text("docs".into()));
    }

    #[test]
    fn each_site_is_checked_against_its_own_zone() {
        let zones = Zones {
            report: "UTC".parse().unwrap(),
            sites: "ide=America/Los_Angeles".parse().unwrap(),
        };
        assert_eq!(
            site_days_of_other_zones(&zones),
            "SELECT s.date, s.site_id FROM daily_site_usage s \
             LEFT JOIN daily_usage_summary u ON u.date = s.date \
             WHERE s.date >= ? AND COALESCE(s.time_zone, u.time_zone, 'UTC') <> \
             CASE WHEN s.site_id = 'ide' THEN 'America/Los_Angeles' ELSE 'UTC' END"
        );
        let plain = Zones::default();
        assert!(site_days_of_other_zones(&plain).ends_with("<> 'UTC'"));
    }
}

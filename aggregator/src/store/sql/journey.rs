//! The SQL of the journey and funnel summaries (V13, V14), written once for both stores: the one
//! read of a day's runs and feature uses ordered by session then time (the rollup folds it with
//! `domain::report::journey::fold`), the rows it writes, and the routes' reads of stored rows.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::rollup::{Cell, TableRows};
use crate::domain::report::journey::fold::SiteJourney;
use crate::domain::report::journey::steps::{Funnel, Step};
use crate::domain::report::journey::{FIRST_RUN, FIRST_SUCCESS};
use crate::domain::report::site::Site;

/// The V13 and V14 tables, all of whose rows of a day a rollup replaces.
pub const JOURNEY_TABLES: [&str; 3] = [
    "daily_site_journey",
    "daily_site_journey_times",
    "daily_site_funnel",
];

/// `daily_site_journey`'s columns: the key (date, site), then its counts in `JourneyTotals`
/// order, as the rollup writes them and [`stored_journey`] sums them.
const JOURNEY_COLUMNS: [&str; 9] = [
    "date",
    "site_id",
    "sessions",
    "with_run",
    "with_success",
    "with_failure",
    "recovered",
    "failed_before_success",
    "succeeded_after_failure",
];

/// Which feature uses the day's read needs: none when no step names a feature, only the named
/// ones when every feature step names one (fewer rows to sort), else all.
fn feature_filter(funnel: &Funnel) -> Option<Vec<&str>> {
    let mut names = Vec::new();
    for step in funnel.steps() {
        match step {
            Step::AnyFeature => return Some(Vec::new()),
            Step::Feature(name) => names.push(name.as_str()),
            _ => {}
        }
    }
    (!names.is_empty()).then_some(names)
}

/// The day's runs, then (if the funnel needs them) its feature uses, of the sessions starting in
/// `[?, ?)` (the same bounds as `rollup::day_sessions`, bound twice when features are read,
/// then the feature names if any), of every site: session, site, session start, time, kind (0 a
/// run, 1 a feature use), the run's success (NULL unknown or a feature), the feature's name.
/// Ordered by session, time, kind and row id, so that both stores fold the same order and a
/// session's events arrive together. `hint` as in `rollup::day_sessions`. Returns the statement
/// and, if it reads feature uses, the feature names it binds after the second pair of bounds.
///
/// One read per day: it scans what the grouped run read of the V8 summaries scans, plus the
/// day's feature uses, and sorts them by session (a session's events are few).
pub fn day_events(funnel: &Funnel, hint: &str) -> (String, Option<Vec<String>>) {
    let of = |table: &str| {
        format!(
            "FROM {table} e JOIN ide_sessions s{hint} ON s.session_id = e.session_id \
             WHERE s.start_time >= ? AND s.start_time < ?"
        )
    };
    let mut sql = format!(
        "SELECT s.session_id, s.site_id, s.start_time, e.timestamp, 0 AS kind, e.success, \
         NULL AS feature_name, e.id {}",
        of("program_executions")
    );
    let mut names = None;
    if let Some(filter) = feature_filter(funnel) {
        sql.push_str(&format!(
            " UNION ALL SELECT s.session_id, s.site_id, s.start_time, e.timestamp, 1, NULL, \
             e.feature_name, e.id {}",
            of("feature_usage")
        ));
        if !filter.is_empty() {
            let marks = vec!["?"; filter.len()].join(", ");
            sql.push_str(&format!(" AND e.feature_name IN ({marks})"));
        }
        names = Some(filter.into_iter().map(String::from).collect());
    }
    sql.push_str(" ORDER BY 1, 4, 5, 8");
    (sql, names)
}

/// The rows of the V13 and V14 tables for one day, in [`JOURNEY_TABLES`] order.
pub fn journey_rows(
    date: NaiveDate,
    funnel: &Funnel,
    sites: &BTreeMap<String, SiteJourney>,
) -> Vec<TableRows> {
    let key = |site: &str| vec![Cell::Date(date), Cell::Text(site.to_string())];
    let (mut journey, mut times, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    for (site, day) in sites {
        let t = &day.totals;
        let mut row = key(site);
        row.extend(
            [
                t.sessions,
                t.with_run,
                t.with_success,
                t.with_failure,
                t.recovered,
                t.failed_before_success,
                t.succeeded_after_failure,
            ]
            .map(Cell::Number),
        );
        journey.push(row);
        for (measure, buckets) in [(FIRST_RUN, &t.first_run), (FIRST_SUCCESS, &t.first_success)] {
            for &(bucket, sessions) in buckets {
                let mut row = key(site);
                row.extend([
                    Cell::Text(measure.into()),
                    Cell::Number(bucket.into()),
                    Cell::Number(sessions),
                ]);
                times.push(row);
            }
        }
        for (i, (step, sessions)) in funnel.steps().iter().zip(&day.funnel).enumerate() {
            let mut row = key(site);
            row.extend([
                Cell::Number(i as u64),
                Cell::Text(step.to_string()),
                Cell::Number(*sessions),
            ]);
            steps.push(row);
        }
    }
    let table =
        |i: usize, columns, key, rows| TableRows::new(JOURNEY_TABLES[i], columns, key, rows);
    vec![
        table(0, &JOURNEY_COLUMNS, 2, journey),
        table(
            1,
            &["date", "site_id", "measure", "bucket", "sessions"],
            4,
            times,
        ),
        table(
            2,
            &["date", "site_id", "step", "step_name", "sessions"],
            3,
            steps,
        ),
    ]
}

fn stored_days(site: Option<&Site>) -> String {
    format!("date BETWEEN ? AND ?{}", Site::clause(site, "site_id"))
}

/// The stored journey counts of a range of days (`BETWEEN ? AND ?`), of one site or all, in
/// `JourneyTotals` order. (The casts turn MySQL's DECIMAL sums into integers.)
pub fn stored_journey(site: Option<&Site>) -> String {
    let sums: Vec<String> = JOURNEY_COLUMNS[2..]
        .iter()
        .map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS UNSIGNED)"))
        .collect();
    format!(
        "SELECT {} FROM daily_site_journey WHERE {}",
        sums.join(", "),
        stored_days(site)
    )
}

/// As [`stored_journey`]: sessions per (measure, bucket).
pub fn stored_journey_times(site: Option<&Site>) -> String {
    format!(
        "SELECT measure, bucket, CAST(SUM(sessions) AS UNSIGNED) FROM daily_site_journey_times \
         WHERE {} GROUP BY measure, bucket ORDER BY measure, bucket",
        stored_days(site)
    )
}

/// As [`stored_journey`]: sessions per (step, step name), by step then name.
pub fn stored_funnel(site: Option<&Site>) -> String {
    format!(
        "SELECT step, step_name, CAST(SUM(sessions) AS UNSIGNED) FROM daily_site_funnel \
         WHERE {} GROUP BY step, step_name ORDER BY step, step_name",
        stored_days(site)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::journey::fold::{Event, JourneyDay};

    #[test]
    fn the_read_takes_features_only_as_the_funnel_needs_them() {
        let runs_only = Funnel::parse(&["opened", "run", "success"]).unwrap();
        let (sql, names) = day_events(&runs_only, "");
        assert!(!sql.contains("feature_usage") && names.is_none());
        let named = Funnel::parse(&["run", "feature:debugger", "feature:save"]).unwrap();
        let (sql, names) = day_events(&named, "");
        assert!(sql.contains("e.feature_name IN (?, ?)"), "{sql}");
        assert_eq!(names.unwrap(), ["debugger", "save"]);
        let (sql, names) = day_events(&Funnel::default(), " FORCE INDEX (x)");
        assert!(sql.contains("UNION ALL") && !sql.contains(" IN ("));
        assert_eq!(names, Some(vec![]));
        assert_eq!(sql.matches("FORCE INDEX (x)").count(), 2);
    }

    #[test]
    fn a_day_fills_each_table_with_its_key_first() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let start = date.and_hms_opt(10, 0, 0).unwrap();
        let funnel = Funnel::default();
        let mut day = JourneyDay::new(funnel.clone());
        let ran = Event::Run {
            at: start,
            success: Some(true),
        };
        day.add("a", "ide", start, ran);
        let sites = day.finish([("ide".to_string(), 2)]);
        let tables = journey_rows(date, &funnel, &sites);
        let shape: Vec<(&str, usize, usize)> = tables
            .iter()
            .map(|t| (t.table, t.key, t.rows.len()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("daily_site_journey", 2, 1),
                ("daily_site_journey_times", 4, 2),
                ("daily_site_funnel", 3, 4),
            ]
        );
        assert!(tables
            .iter()
            .all(|t| t.rows.iter().all(|r| r.len() == t.columns.len())));
        assert_eq!(tables[0].rows[0][2], Cell::Number(2), "both sessions");
        assert_eq!(tables[2].rows[3][3], Cell::Text("feature".into()));
    }
}

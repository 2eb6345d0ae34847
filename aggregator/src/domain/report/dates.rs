//! Date ranges of reports: parsing and validating `from`/`to`, and the days they cover.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::zone::ReportZone;

/// Longest range one request may ask for, in days (both ends included).
pub const MAX_RANGE_DAYS: u64 = 366;

/// Both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The days an answer covers, both included, and the zone they are local days of: a range as
/// the API serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The IANA time zone whose local days (and hours) the answer counts in
    /// (`report_timezone`, "UTC" by default; with `site`, that site's zone in `site_timezones`
    /// if it has one).
    #[schema(value_type = String, example = "UTC")]
    pub time_zone: &'static str,
    /// Only in an all-sites answer that adds up each site's summaries (hourly, time, programs,
    /// errors, feature data, journey, funnel) while `site_timezones` gives some sites their own
    /// zone: those sites and their zones, whose figures count on their own local days (and
    /// hours) rather than `time_zone`'s (docs/reports.md, "Per-site time zones").
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = Option<BTreeMap<String, String>>, example = json!({"ide": "America/Los_Angeles"}))]
    pub sites_in_own_zones: BTreeMap<String, &'static str>,
}

impl Span {
    /// The span of `range`, local days of `zone`.
    pub fn of(range: &DateRange, zone: ReportZone) -> Self {
        Span {
            from: range.from,
            to: range.to,
            time_zone: zone.name(),
            sites_in_own_zones: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct BadRange {
    pub field: &'static str,
    pub reason: String,
}

/// The first day a report may cover.
fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(1000, 1, 1).expect("a valid date")
}

/// The last day a report may cover (its reads end at the next midnight, still in year 9999).
fn latest() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 30).expect("a valid date")
}

impl DateRange {
    /// The `days` days ending with `last`.
    pub fn ending(last: NaiveDate, days: u64) -> DateRange {
        let from = last
            .checked_sub_days(Days::new(days.max(1) - 1))
            .unwrap_or(last);
        DateRange { from, to: last }
    }

    /// Validates a range given as `YYYY-MM-DD` texts; a missing end defaults to the last
    /// `default_days` days ending `today` (or ending `to`, or starting `from`).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
        default_days: u64,
    ) -> Result<DateRange, BadRange> {
        let from = from.map(|t| date("from", t)).transpose()?;
        let to = to.map(|t| date("to", t)).transpose()?;
        let range = match (from, to) {
            (Some(from), Some(to)) => DateRange { from, to },
            (None, Some(to)) => DateRange::ending(to, default_days),
            (Some(from), None) => DateRange {
                from,
                to: today.max(from),
            },
            (None, None) => DateRange::ending(today, default_days),
        };
        // The databases' DATETIME holds years 1000 to 9999, and a day's reads end at the next
        // midnight: a range outside that would reach the database as a value it cannot hold.
        let (first, last) = (earliest(), latest());
        if range.from < first || range.to > last {
            return Err(BadRange {
                field: if range.from < first { "from" } else { "to" },
                reason: format!("dates run from {first} to {last}"),
            });
        }
        if range.to < range.from {
            return Err(BadRange {
                field: "to",
                reason: format!("to ({}) is before from ({})", range.to, range.from),
            });
        }
        if range.len() > MAX_RANGE_DAYS {
            return Err(BadRange {
                field: "to",
                reason: format!(
                    "the range covers {} days; at most {MAX_RANGE_DAYS} are allowed",
                    range.len()
                ),
            });
        }
        Ok(range)
    }

    /// The period of the same length that ends the day before this one starts
    /// (`compare=previous`); None when it would start before the first day a report may cover.
    pub fn previous(&self) -> Option<DateRange> {
        let to = self.from.pred_opt()?;
        let from = to.checked_sub_days(Days::new(self.len().max(1) - 1))?;
        (from >= earliest()).then_some(DateRange { from, to })
    }

    /// Number of days, both ends included.
    pub fn len(&self) -> u64 {
        (self.to - self.from).num_days().max(-1) as u64 + 1
    }

    pub fn is_empty(&self) -> bool {
        self.to < self.from
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }
}

fn date(field: &'static str, text: &str) -> Result<NaiveDate, BadRange> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    well_formed
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| BadRange {
            field,
            reason: format!("{field} must be a date written YYYY-MM-DD, got {text:?}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn defaults_to_the_last_days_ending_today() {
        let range = DateRange::parse(None, None, d("2026-11-28"), 30).unwrap();
        assert_eq!((range.from, range.to), (d("2026-10-30"), d("2026-11-28")));
        assert_eq!(range.len(), 30);
        assert_eq!(range.days().count(), 30);
        let only_to = DateRange::parse(None, Some("2026-01-10"), d("2026-11-28"), 7).unwrap();
        assert_eq!(only_to.from, d("2026-01-04"));
    }

    #[test]
    fn bad_dates_and_ranges_name_the_field() {
        let today = d("2026-11-28");
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "26-11-28",
            "2026-1-5",
            "yesterday",
            "2026-11-28T00:00",
        ] {
            let err = DateRange::parse(Some(bad), None, today, 30).unwrap_err();
            assert_eq!(err.field, "from", "{bad}");
        }
        let backwards = DateRange::parse(Some("2026-11-28"), Some("2026-11-27"), today, 30);
        assert_eq!(backwards.unwrap_err().field, "to");
        assert!(
            DateRange::parse(Some("2025-01-01"), Some("2026-01-01"), today, 30).is_ok(),
            "366 days"
        );
        let too_long = DateRange::parse(Some("2025-01-01"), Some("2026-01-02"), today, 30);
        assert!(too_long.unwrap_err().reason.contains("367 days"));
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let week = DateRange::parse(Some("2026-03-01"), Some("2026-03-07"), d("2026-11-28"), 30);
        let previous = week.unwrap().previous().unwrap();
        assert_eq!(
            (previous.from, previous.to),
            (d("2026-02-22"), d("2026-02-28"))
        );
        let day = DateRange::parse(Some("2026-01-01"), Some("2026-01-01"), d("2026-11-28"), 30);
        let previous = day.unwrap().previous().unwrap();
        assert_eq!(
            (previous.from, previous.to),
            (d("2025-12-31"), d("2025-12-31"))
        );
        let first = DateRange::parse(Some("1000-01-01"), Some("1000-01-02"), d("2026-11-28"), 30);
        assert_eq!(first.unwrap().previous(), None);
    }

    #[test]
    fn a_single_day_is_a_range_of_one() {
        let range =
            DateRange::parse(Some("2026-02-28"), Some("2026-02-28"), d("2026-11-28"), 30).unwrap();
        assert_eq!(range.days().collect::<Vec<_>>(), vec![d("2026-02-28")]);
    }

    #[test]
    fn ranges_stay_within_the_databases_years() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let early = DateRange::parse(None, Some("1000-01-05"), today, 30).unwrap_err();
        assert_eq!(early.field, "from");
        let late = DateRange::parse(Some("9999-12-31"), None, today, 30).unwrap_err();
        assert_eq!(late.field, "to");
        assert!(DateRange::parse(Some("1000-01-01"), Some("1000-01-31"), today, 30).is_ok());
    }
}

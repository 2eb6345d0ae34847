//! The report's time zone (`report_timezone`): which local day and hour a stored time (UTC)
//! belongs to, and the UTC bounds `[start, end)` of a local day. Every day the reports show,
//! the rollup writes and the visitor salts use is a local day of this zone, and this module is
//! the one place that turns one into the other. The IANA database is compiled in (chrono-tz),
//! so a container without `/usr/share/zoneinfo` works.
//!
//! Days are whole local calendar days: on a day that springs forward the day has 23 hours, on
//! one that falls back 25. A local midnight that does not exist (a zone whose clocks jump at
//! midnight, e.g. America/Havana in March) starts the day at the jump; an ambiguous one (clocks
//! falling back to midnight) starts it at the first of the two midnights.

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Days, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::Deserialize;

/// An IANA time zone that days and hours are counted in; UTC by default, which is what every
/// report counted in before the knob.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ReportZone(Tz);

impl Default for ReportZone {
    fn default() -> Self {
        ReportZone::UTC
    }
}

/// A local day with its UTC bounds: what the rollup reads (`start_time >= start AND start_time
/// < end`) and writes under `date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportDay {
    pub date: NaiveDate,
    /// The first instant of the day, UTC (as sessions' start times are stored).
    pub start: NaiveDateTime,
    /// The first instant of the next day, UTC.
    pub end: NaiveDateTime,
    /// The zone the day is in: the hours of its sessions, and the name the rollup records.
    pub zone: ReportZone,
}

impl ReportZone {
    pub const UTC: ReportZone = ReportZone(Tz::UTC);

    /// The IANA name ("UTC", "America/Los_Angeles"), as answers and the rollup name it.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The local day of a stored (UTC) time.
    pub fn day_of(&self, at: NaiveDateTime) -> NaiveDate {
        self.0.from_utc_datetime(&at).date_naive()
    }

    /// Today here at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        self.day_of(now.naive_utc())
    }

    /// The local hour (0..=23) of a stored (UTC) time: a session's hour in the hourly report.
    /// The hour repeated when clocks fall back is one hour of the report (both of its passes
    /// add up there); the hour skipped when they spring forward has no sessions.
    pub fn hour_of(&self, at: NaiveDateTime) -> u8 {
        self.0.from_utc_datetime(&at).hour() as u8
    }

    /// The UTC instant the local day `date` starts (see the module's note on midnights that do
    /// not exist or come twice).
    pub fn start_of(&self, date: NaiveDate) -> NaiveDateTime {
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        match self.0.from_local_datetime(&midnight) {
            LocalResult::Single(at) => at.naive_utc(),
            LocalResult::Ambiguous(first, _) => first.naive_utc(),
            // Clocks jumped over midnight: the day starts at the jump, which is midnight read in
            // the offset before it. 36 hours earlier is before the jump in any zone (offsets
            // are within ±14 h) and after the one before it (no zone moves twice in two days).
            LocalResult::None => {
                let before = self
                    .0
                    .offset_from_utc_datetime(&(midnight - chrono::Duration::hours(36)))
                    .fix();
                midnight - chrono::Duration::seconds(before.local_minus_utc().into())
            }
        }
    }

    /// The local day `date` with its UTC bounds.
    pub fn day(&self, date: NaiveDate) -> ReportDay {
        let next = date.checked_add_days(Days::new(1)).unwrap_or(date);
        ReportDay {
            date,
            start: self.start_of(date),
            end: self.start_of(next),
            zone: *self,
        }
    }

    /// The local days that sessions starting from `first` to `last` (UTC, `first <= last`)
    /// fall on: what a store's list of start times per UTC day becomes.
    pub fn days_between(&self, first: NaiveDateTime, last: NaiveDateTime) -> Vec<NaiveDate> {
        let (from, to) = (self.day_of(first), self.day_of(last));
        from.iter_days().take_while(|d| *d <= to).collect()
    }
}

impl FromStr for ReportZone {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let name = name.trim();
        name.parse::<Tz>().map(ReportZone).map_err(|_| {
            format!("{name:?} is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/Los_Angeles)")
        })
    }
}

impl TryFrom<String> for ReportZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        name.parse()
    }
}

impl fmt::Display for ReportZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> ReportZone {
        name.parse().unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn utc_days_are_what_they_always_were() {
        let day = ReportZone::UTC.day(date(2026, 11, 28));
        assert_eq!(
            (day.start, day.end),
            (utc(2026, 11, 28, 0, 0), utc(2026, 11, 29, 0, 0))
        );
        assert_eq!(
            ReportZone::UTC.day_of(utc(2026, 11, 28, 23, 59)),
            date(2026, 11, 28)
        );
        assert_eq!(ReportZone::UTC.hour_of(utc(2026, 11, 28, 23, 59)), 23);
        assert_eq!(ReportZone::default().name(), "UTC");
    }

    #[test]
    fn los_angeles_has_a_23_and_a_25_hour_day() {
        let la = zone("America/Los_Angeles");
        // A winter day: UTC-8.
        let winter = la.day(date(2026, 1, 15));
        assert_eq!(
            (winter.start, winter.end),
            (utc(2026, 1, 15, 8, 0), utc(2026, 1, 16, 8, 0))
        );
        // 2026-03-08: 02:00 PST becomes 03:00 PDT.
        let spring = la.day(date(2026, 3, 8));
        assert_eq!(
            (spring.start, spring.end),
            (utc(2026, 3, 8, 8, 0), utc(2026, 3, 9, 7, 0))
        );
        assert_eq!((spring.end - spring.start).num_hours(), 23);
        assert_eq!(la.hour_of(utc(2026, 3, 8, 9, 59)), 1);
        assert_eq!(
            la.hour_of(utc(2026, 3, 8, 10, 0)),
            3,
            "02:00 does not exist"
        );
        // 2026-11-01: 02:00 PDT becomes 01:00 PST; 01:xx comes twice, one hour of the report.
        let fall = la.day(date(2026, 11, 1));
        assert_eq!(
            (fall.start, fall.end),
            (utc(2026, 11, 1, 7, 0), utc(2026, 11, 2, 8, 0))
        );
        assert_eq!((fall.end - fall.start).num_hours(), 25);
        assert_eq!(la.hour_of(utc(2026, 11, 1, 8, 30)), 1, "the first 01:30");
        assert_eq!(la.hour_of(utc(2026, 11, 1, 9, 30)), 1, "the second 01:30");
        assert_eq!(la.hour_of(utc(2026, 11, 1, 10, 0)), 2);
    }

    #[test]
    fn a_time_belongs_to_the_local_day_around_it() {
        let la = zone("America/Los_Angeles");
        // 23:59 and 00:01 local around the night of 27 to 28 November (UTC-8).
        assert_eq!(la.day_of(utc(2026, 11, 28, 7, 59)), date(2026, 11, 27));
        assert_eq!(la.day_of(utc(2026, 11, 28, 8, 1)), date(2026, 11, 28));
        let day = la.day(date(2026, 11, 27));
        for at in [day.start, day.end - chrono::Duration::seconds(1)] {
            assert_eq!(la.day_of(at), day.date);
        }
        assert_eq!(la.day_of(day.end), date(2026, 11, 28));
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 3, 0, 0).unwrap();
        assert_eq!(la.today(now), date(2026, 11, 27), "7 pm the day before");
        assert_eq!(zone("Asia/Tokyo").today(now), date(2026, 11, 28));
    }

    #[test]
    fn a_midnight_that_does_not_exist_starts_the_day_at_the_jump() {
        // Havana, 2026-03-08: 00:00 CST (UTC-5) becomes 01:00 CDT (UTC-4).
        let havana = zone("America/Havana");
        let day = havana.day(date(2026, 3, 8));
        assert_eq!(day.start, utc(2026, 3, 8, 5, 0));
        assert_eq!(day.end, utc(2026, 3, 9, 4, 0));
        assert_eq!(havana.day_of(day.start), day.date);
        assert_eq!(
            havana.day_of(day.start - chrono::Duration::seconds(1)),
            date(2026, 3, 7)
        );
    }

    #[test]
    fn an_ambiguous_midnight_starts_the_day_at_the_first() {
        // Havana, 2026-11-01: 01:00 CDT (UTC-4) becomes 00:00 CST (UTC-5), so 00:xx comes twice.
        let havana = zone("America/Havana");
        let day = havana.day(date(2026, 11, 1));
        assert_eq!(day.start, utc(2026, 11, 1, 4, 0));
        assert_eq!((day.end - day.start).num_hours(), 25);
        assert_eq!(havana.day_of(day.start), day.date);
        assert_eq!(
            havana.day_of(day.start - chrono::Duration::seconds(1)),
            date(2026, 10, 31)
        );
    }

    #[test]
    fn start_times_of_a_utc_day_fall_on_one_or_two_local_days() {
        let la = zone("America/Los_Angeles");
        assert_eq!(
            la.days_between(utc(2026, 11, 28, 0, 30), utc(2026, 11, 28, 20, 0)),
            vec![date(2026, 11, 27), date(2026, 11, 28)]
        );
        assert_eq!(
            la.days_between(utc(2026, 11, 28, 9, 0), utc(2026, 11, 28, 20, 0)),
            vec![date(2026, 11, 28)]
        );
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(zone(" Europe/Berlin ").name(), "Europe/Berlin");
        assert_eq!(zone("Europe/Berlin").to_string(), "Europe/Berlin");
        let refused = "Mars/Olympus".parse::<ReportZone>().unwrap_err();
        assert!(refused.contains("IANA"), "{refused}");
        let parsed: ReportZone = serde_json::from_str("\"Asia/Kolkata\"").unwrap();
        assert_eq!(parsed.name(), "Asia/Kolkata");
    }
}

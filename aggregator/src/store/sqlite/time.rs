//! Times as the embedded store keeps them: UTC text with milliseconds (what MySQL's DATETIME(3)
//! holds), which sorts as it compares, and dates as 'YYYY-MM-DD'.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::store::datetime_text::push_datetime;
use crate::store::StoreError;

const DATE: &str = "%Y-%m-%d";

/// Truncated to milliseconds, as MariaDB truncates into DATETIME(3).
pub fn time_text(at: NaiveDateTime) -> String {
    let mut text = String::with_capacity(23);
    push_datetime(&mut text, at, 3);
    text
}

pub fn utc_text(at: DateTime<Utc>) -> String {
    time_text(at.naive_utc())
}

pub fn date_text(day: NaiveDate) -> String {
    day.format(DATE).to_string()
}

pub fn parse_time(text: &str) -> Result<NaiveDateTime, StoreError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map_err(|e| StoreError::Decode(format!("a stored time {text:?} is malformed: {e}")))
}

pub fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, DATE)
        .map_err(|e| StoreError::Decode(format!("a stored date {text:?} is malformed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_keep_milliseconds_and_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 5).unwrap()
            + chrono::Duration::microseconds(123_987);
        assert_eq!(utc_text(at), "2026-11-28 12:00:05.123");
        let back = parse_time(&utc_text(at)).unwrap();
        assert_eq!(back.and_utc().timestamp_millis(), at.timestamp_millis());
        assert!(parse_time("2026-11-28").is_err());
    }
}

//! Datetime text as both stores write it ('YYYY-MM-DD hh:mm:ss.fff…'), digit by digit: chrono's
//! formatter parses its format string on every call, which took an eighth of a request's CPU in
//! the MySQL writer's profile and 13 % of a heartbeat's instructions on SQLite (callgrind of
//! figure g, BENCHMARKS.md).

use chrono::{Datelike, NaiveDateTime, Timelike};

/// Appends `at` with `fraction` digits of the second (truncated, as MariaDB truncates into
/// DATETIME(3) and DATETIME(6)). A leap second's nanoseconds run past 10^9: it is written as
/// the second's last fraction, so the text still sorts as the times compare.
pub fn push_datetime(out: &mut String, at: NaiveDateTime, fraction: u32) {
    let (date, time) = (at.date(), at.time());
    push_digits(out, u32::try_from(date.year()).unwrap_or(0), 4);
    out.push('-');
    push_digits(out, date.month(), 2);
    out.push('-');
    push_digits(out, date.day(), 2);
    out.push(' ');
    push_digits(out, time.hour(), 2);
    out.push(':');
    push_digits(out, time.minute(), 2);
    out.push(':');
    push_digits(out, time.second(), 2);
    if fraction > 0 {
        out.push('.');
        let scale = 10u32.pow(9 - fraction.min(9));
        let most = 10u32.pow(fraction.min(9)) - 1;
        push_digits(out, (time.nanosecond() / scale).min(most), fraction.min(9));
    }
}

fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nano: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_nano_opt(h, mi, s, nano)
            .unwrap()
    }

    #[test]
    fn it_writes_what_chronos_formatter_wrote() {
        let times = [
            at(2026, 12, 2, 15, 4, 5, 123_456_789),
            at(1970, 1, 1, 0, 0, 0, 0),
            at(999, 9, 9, 23, 59, 59, 999_999_999),
            at(2024, 2, 29, 7, 8, 9, 1_000_000),
        ];
        for t in times {
            for (fraction, format) in [(3, "%Y-%m-%d %H:%M:%S%.3f"), (6, "%Y-%m-%d %H:%M:%S%.6f")] {
                let mut text = String::new();
                push_datetime(&mut text, t, fraction);
                assert_eq!(text, t.format(format).to_string());
            }
        }
    }

    #[test]
    fn a_leap_second_is_written_as_its_last_fraction() {
        let leap = at(2016, 12, 31, 23, 59, 59, 1_500_000_000);
        let mut text = String::new();
        push_datetime(&mut text, leap, 3);
        assert_eq!(text, "2016-12-31 23:59:59.999");
    }
}

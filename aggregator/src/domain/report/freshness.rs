//! Which days' stored summaries are behind their raw rows (the stale-day rule): a day is stale
//! when a session of it was seen at or after its last rollup's pass less the watermark margin
//! (a batch stamped then may have committed after the pass read the day), or it was never rolled
//! up. A day rolled up after its late event is current again at once, not two rounds later.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, NaiveDateTime};

/// The stale days among `seen` (days with the latest last-seen time of their touched sessions),
/// given when each day was rolled up (`rolled`) and the commit lag `margin`.
pub fn stale_days(
    seen: &[(NaiveDate, NaiveDateTime)],
    rolled: &BTreeMap<NaiveDate, NaiveDateTime>,
    margin: Duration,
) -> Vec<NaiveDate> {
    seen.iter()
        .filter(|(day, last_seen)| match rolled.get(day) {
            Some(at) => *last_seen >= *at - margin,
            None => true,
        })
        .map(|(day, _)| *day)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .expect("valid")
    }

    #[test]
    fn a_day_rolled_up_after_its_late_event_is_current() {
        let day = at(1, 0).date();
        let rolled = BTreeMap::from([(day, at(5, 12))]);
        let seen = [(day, at(5, 11))];
        assert!(stale_days(&seen, &rolled, Duration::minutes(10)).is_empty());
    }

    #[test]
    fn an_event_after_the_rollup_or_within_the_margin_makes_the_day_stale() {
        let day = at(1, 0).date();
        let rolled = BTreeMap::from([(day, at(5, 12))]);
        let after = [(day, at(5, 13))];
        assert_eq!(stale_days(&after, &rolled, Duration::minutes(10)), [day]);
        let within = [(day, at(5, 12) - Duration::minutes(5))];
        assert_eq!(stale_days(&within, &rolled, Duration::minutes(10)), [day]);
    }

    #[test]
    fn a_day_never_rolled_up_is_stale() {
        let day = at(2, 0).date();
        let seen = [(day, at(2, 9))];
        assert_eq!(
            stale_days(&seen, &BTreeMap::new(), Duration::minutes(10)),
            [day]
        );
    }
}

//! The cap on new site ids per day (`max_new_sites_per_day`): without an allowlist (`sites`),
//! any well-formed id is a site, and every site gets its own summary rows and live row, so one
//! client could create hundreds. Pure: the caller loads the ids the database knows once, then
//! asks here for each batch's site.

use std::collections::HashSet;

use chrono::NaiveDate;

/// What to do with a batch's site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Seen before (in the database when the gate loaded, or admitted since).
    Known,
    /// New, and within today's cap: now known.
    Admitted,
    /// New, and today's cap is reached.
    Refused,
}

/// The known site ids and today's count of new ones.
#[derive(Debug, Default)]
pub struct NewSites {
    cap: u32,
    known: HashSet<String>,
    day: Option<NaiveDate>,
    admitted_today: u32,
}

impl NewSites {
    /// A gate admitting `cap` new ids per UTC day (0: every id), knowing `known`.
    pub fn new(cap: u32, known: impl IntoIterator<Item = String>) -> NewSites {
        NewSites {
            cap,
            known: known.into_iter().collect(),
            ..NewSites::default()
        }
    }

    /// Whether `site` may send on `today`; a new site admitted is remembered.
    pub fn check(&mut self, site: &str, today: NaiveDate) -> Verdict {
        if self.cap == 0 || self.known.contains(site) {
            return Verdict::Known;
        }
        if self.day != Some(today) {
            self.day = Some(today);
            self.admitted_today = 0;
        }
        if self.admitted_today >= self.cap {
            return Verdict::Refused;
        }
        self.admitted_today += 1;
        self.known.insert(site.to_string());
        Verdict::Admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn new_ids_are_admitted_up_to_the_cap_each_day_and_known_ones_always() {
        let mut gate = NewSites::new(2, ["ide".to_string()]);
        assert_eq!(gate.check("ide", day(1)), Verdict::Known);
        assert_eq!(gate.check("a", day(1)), Verdict::Admitted);
        assert_eq!(gate.check("b", day(1)), Verdict::Admitted);
        assert_eq!(gate.check("c", day(1)), Verdict::Refused);
        assert_eq!(
            gate.check("a", day(1)),
            Verdict::Known,
            "admitted stays known"
        );
        assert_eq!(gate.check("c", day(2)), Verdict::Admitted, "a new day");
    }

    #[test]
    fn a_cap_of_zero_admits_everything() {
        let mut gate = NewSites::new(0, []);
        assert!((0..100).all(|i| gate.check(&format!("s{i}"), day(1)) == Verdict::Known));
    }
}

//! Daily salts for the visitor hash. One random 32-byte salt per report day (a local day of
//! `report_timezone`, UTC by default, or of the site's own zone in `site_timezones`: the caller
//! passes the zone), shared by every aggregator replica through the database; a salt is used for
//! sessions that start on its day and deleted (from the database and from memory) once its day
//! is more than a day past in every zone in use (`Zones::earliest_today`), i.e. at most 48 hours
//! after it came into use with one zone, up to a day more with zones far apart.
//! Without the salt the stored hashes cannot be linked to an IP.
//!
//! The salt's day is the day the session counts on ([`salt_day`]), so a report day's unique
//! visitors are exact: every session of that day was hashed with that day's one salt, and the
//! same browser (address and User-Agent) on the same site gives one hash however many sessions
//! it starts that day, before or after UTC midnight.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use tokio::sync::Mutex;

use crate::domain::zone::ReportZone;

/// A day's salt, with the HMAC-SHA256 state already keyed by it: keying hashes the padded key
/// once for the inner and once for the outer hash, two of the seven SHA-256 compressions a
/// visitor hash took; a clone of the keyed state leaves each hash only its message's.
#[derive(Clone)]
pub struct Salt {
    bytes: [u8; 32],
    keyed: Hmac<Sha256>,
}

impl Salt {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let keyed = Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes keys of any length");
        Salt { bytes, keyed }
    }

    pub fn random() -> Self {
        Salt::from_bytes(random_bytes())
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// A fresh HMAC keyed by this salt, ready for its message (a clone, no key schedule).
    pub fn mac(&self) -> Hmac<Sha256> {
        self.keyed.clone()
    }
}

/// 32 random bytes: a candidate salt, keyed only once it is the day's salt.
fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(<secret>)")
    }
}

/// The day whose salt hashes a session: its report day (the local day of `zone` it started on,
/// the day it counts on) when that salt still exists (today or yesterday there), so a session
/// crossing midnight keeps its visitor; otherwise today.
pub fn salt_day(zone: ReportZone, session_start: DateTime<Utc>, now: DateTime<Utc>) -> NaiveDate {
    let today = zone.today(now);
    let start_day = zone.day_of(session_start.naive_utc());
    if start_day <= today && Some(start_day) >= today.checked_sub_days(Days::new(1)) {
        start_day
    } else {
        today
    }
}

/// The oldest day whose salt is still kept, `today` being the earliest today of the zones in
/// use (`Zones::earliest_today`): yesterday there, the oldest day [`salt_day`] can answer in
/// any of them.
pub fn oldest_kept(today: NaiveDate) -> NaiveDate {
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// Where the salts are kept and shared between replicas: the store's salt table. A trait of its
/// own so that [`SaltBook`] (the cache) knows nothing of the store and is unit-tested alone.
#[async_trait]
pub trait SaltTable: Send + Sync {
    type Error: Send;
    /// Stores `candidate` as the salt of `day` unless a replica got there first; returns the salt.
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], Self::Error>;
    /// Deletes the salts of days before `day`; returns how many went.
    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, Self::Error>;
}

/// Salts by day, cached in memory, created and shared through a [`SaltTable`].
pub struct SaltBook<T> {
    table: T,
    cache: Mutex<BTreeMap<NaiveDate, Salt>>,
}

impl<T: SaltTable> SaltBook<T> {
    pub fn new(table: T) -> Self {
        SaltBook {
            table,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The salt of `day`, creating it if no replica has yet.
    pub async fn salt_for(&self, day: NaiveDate) -> Result<Salt, T::Error> {
        if let Some(salt) = self.cache.lock().await.get(&day) {
            return Ok(salt.clone());
        }
        let salt = Salt::from_bytes(self.table.ensure_salt(day, &random_bytes()).await?);
        self.cache.lock().await.insert(day, salt.clone());
        Ok(salt)
    }

    /// Forgets salts older than yesterday, here and in the table. Returns how many rows went.
    pub async fn rotate(&self, today: NaiveDate) -> Result<u64, T::Error> {
        let keep_from = oldest_kept(today);
        self.cache.lock().await.retain(|day, _| *day >= keep_from);
        self.table.delete_salts_before(keep_from).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap()
    }

    #[test]
    fn a_session_crossing_midnight_keeps_the_salt_of_its_start_day() {
        let utc = ReportZone::UTC;
        let before_midnight = at(27, 23, 50);
        assert_eq!(salt_day(utc, before_midnight, at(28, 0, 30)), day(27));
        assert_eq!(salt_day(utc, before_midnight, at(27, 23, 55)), day(27));
        assert_eq!(
            salt_day(utc, before_midnight, at(29, 0, 1)),
            day(29),
            "two days on, that salt is gone"
        );
        assert_eq!(salt_day(utc, at(29, 0, 0), at(28, 23, 59)), day(28));
    }

    #[test]
    fn the_salt_day_is_the_local_report_day() {
        let la: ReportZone = "America/Los_Angeles".parse().unwrap();
        // 23:59 and 00:01 Los Angeles time (UTC-8) around the night of the 27th: two report
        // days, two salts, though both are the 28th in UTC.
        let late = at(28, 7, 59);
        let early = at(28, 8, 1);
        let now = at(28, 8, 5);
        assert_eq!(salt_day(la, late, now), day(27));
        assert_eq!(salt_day(la, early, now), day(28));
        // Within one local day, one salt, on both sides of UTC midnight (4 pm there).
        let afternoon = at(27, 23, 30);
        let evening = at(28, 0, 30);
        assert_eq!(salt_day(la, afternoon, evening), day(27));
        assert_eq!(salt_day(la, evening, evening), day(27));
        assert_eq!(
            salt_day(ReportZone::UTC, afternoon, evening),
            day(27),
            "in UTC the same two sessions are two days"
        );
        assert_eq!(salt_day(ReportZone::UTC, evening, evening), day(28));
    }

    #[test]
    fn salts_live_for_their_day_and_the_next() {
        assert_eq!(oldest_kept(day(28)), day(27));
    }

    /// A salt table in memory that counts its reads, standing in for another replica's database.
    #[derive(Default)]
    struct Table {
        salts: std::sync::Mutex<BTreeMap<NaiveDate, [u8; 32]>>,
        asked: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl SaltTable for &Table {
        type Error = std::convert::Infallible;
        async fn ensure_salt(
            &self,
            day: NaiveDate,
            candidate: &[u8; 32],
        ) -> Result<[u8; 32], Self::Error> {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(*self.salts.lock().unwrap().entry(day).or_insert(*candidate))
        }
        async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, Self::Error> {
            let mut salts = self.salts.lock().unwrap();
            let before = salts.len();
            salts.retain(|d, _| *d >= day);
            Ok((before - salts.len()) as u64)
        }
    }

    #[tokio::test]
    async fn a_replica_gets_the_salt_another_stored_and_asks_the_table_once() {
        let table = Table::default();
        table.salts.lock().unwrap().insert(day(28), [9; 32]);
        let book = SaltBook::new(&table);
        assert_eq!(book.salt_for(day(28)).await.unwrap().bytes(), &[9; 32]);
        assert_eq!(book.salt_for(day(28)).await.unwrap().bytes(), &[9; 32]);
        assert_eq!(table.asked.load(std::sync::atomic::Ordering::SeqCst), 1);
        let fresh = book.salt_for(day(29)).await.unwrap();
        assert_eq!(
            table.salts.lock().unwrap().get(&day(29)),
            Some(fresh.bytes())
        );
    }

    #[tokio::test]
    async fn rotation_forgets_old_salts_in_memory_and_in_the_table() {
        let table = Table::default();
        let book = SaltBook::new(&table);
        let old = book.salt_for(day(26)).await.unwrap();
        book.salt_for(day(27)).await.unwrap();
        assert_eq!(
            book.rotate(day(28)).await.unwrap(),
            1,
            "the 26th's salt goes"
        );
        assert!(!table.salts.lock().unwrap().contains_key(&day(26)));
        // Asked again, the book does not answer from memory: it makes a new salt.
        let again = book.salt_for(day(26)).await.unwrap();
        assert_ne!(again.bytes(), old.bytes());
        assert_eq!(table.asked.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[test]
    fn salts_do_not_print() {
        assert_eq!(format!("{:?}", Salt::from_bytes([7; 32])), "Salt(<secret>)");
    }
}

//! Daily salts for the visitor hash. One random 32-byte salt per UTC day, shared by every
//! aggregator replica through the database; a salt is used for sessions that start on its day and
//! deleted (from the database and from memory) once its day is more than a day past, i.e. at most
//! 48 hours after it came into use. Without the salt the stored hashes cannot be linked to an IP.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rand::RngCore;
use tokio::sync::Mutex;

use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct Salt([u8; 32]);

impl Salt {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Salt(bytes)
    }

    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Salt(bytes)
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(<secret>)")
    }
}

/// The day whose salt hashes a session: the day it started when that salt still exists (today or
/// yesterday), so a session crossing midnight keeps its visitor; otherwise today.
pub fn salt_day(session_start: DateTime<Utc>, today: NaiveDate) -> NaiveDate {
    let start_day = session_start.date_naive();
    if start_day <= today && Some(start_day) >= today.checked_sub_days(Days::new(1)) {
        start_day
    } else {
        today
    }
}

/// The oldest day whose salt is still kept.
pub fn oldest_kept(today: NaiveDate) -> NaiveDate {
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// Salts by day, cached in memory, created and shared through the store.
pub struct SaltBook {
    store: Store,
    cache: Mutex<BTreeMap<NaiveDate, Salt>>,
}

impl SaltBook {
    pub fn new(store: Store) -> Self {
        SaltBook {
            store,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The salt of `day`, creating it if no replica has yet.
    pub async fn salt_for(&self, day: NaiveDate) -> Result<Salt, StoreError> {
        if let Some(salt) = self.cache.lock().await.get(&day) {
            return Ok(salt.clone());
        }
        let salt = Salt::from_bytes(self.store.ensure_salt(day, Salt::random().bytes()).await?);
        self.cache.lock().await.insert(day, salt.clone());
        Ok(salt)
    }

    /// Forgets salts older than yesterday, here and in the database. Returns how many rows went.
    pub async fn rotate(&self, today: NaiveDate) -> Result<u64, StoreError> {
        let keep_from = oldest_kept(today);
        self.cache.lock().await.retain(|day, _| *day >= keep_from);
        self.store.delete_salts_before(keep_from).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn a_session_crossing_midnight_keeps_the_salt_of_its_start_day() {
        let before_midnight = Utc.with_ymd_and_hms(2026, 11, 27, 23, 50, 0).unwrap();
        assert_eq!(salt_day(before_midnight, day(28)), day(27));
        assert_eq!(salt_day(before_midnight, day(27)), day(27));
        assert_eq!(
            salt_day(before_midnight, day(29)),
            day(29),
            "two days on, that salt is gone"
        );
        let future = Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 1).unwrap();
        assert_eq!(salt_day(future, day(28)), day(28));
    }

    #[test]
    fn salts_live_for_their_day_and_the_next() {
        assert_eq!(oldest_kept(day(28)), day(27));
    }

    #[test]
    fn salts_do_not_print() {
        assert_eq!(format!("{:?}", Salt::from_bytes([7; 32])), "Salt(<secret>)");
    }
}

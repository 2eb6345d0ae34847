//! SQL of the daily visitor salts on SQLite.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::time::date_text;
use super::SqliteStore;
use crate::store::sql::{DELETE_SALTS_BEFORE, SALT_OF_DAY};
use crate::store::{ensured_salt, salt_bytes, Salts, StoreError};

#[async_trait]
impl Salts for SqliteStore {
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let candidate = *candidate;
        self.other
            .run(move |conn| {
                let text = date_text(day);
                conn.execute(
                    "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                    (&text, &candidate[..]),
                )?;
                let stored = conn
                    .query_row(SALT_OF_DAY, [&text], |r| r.get(0))
                    .optional()?;
                ensured_salt(day, stored)
            })
            .await
    }

    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        self.other
            .run(move |conn| {
                let deleted = conn.execute(DELETE_SALTS_BEFORE, [date_text(day)])?;
                Ok(deleted as u64)
            })
            .await
    }

    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError> {
        self.other
            .run(move |conn| {
                let stored = conn
                    .query_row(SALT_OF_DAY, [date_text(day)], |r| r.get(0))
                    .optional()?;
                Ok(salt_bytes(stored))
            })
            .await
    }
}

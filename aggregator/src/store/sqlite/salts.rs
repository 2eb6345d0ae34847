//! SQL of the daily visitor salts on SQLite.

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::OptionalExtension;

use super::time::date_text;
use super::SqliteStore;
use crate::store::{Salts, StoreError};

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
                let day = date_text(day);
                conn.execute(
                    "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON CONFLICT (day) DO NOTHING",
                    (&day, &candidate[..]),
                )?;
                let stored: Option<Vec<u8>> = conn
                    .query_row("SELECT salt FROM visitor_salts WHERE day = ?", [&day], |r| {
                        r.get(0)
                    })
                    .optional()?;
                stored
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .ok_or_else(|| {
                        StoreError::Decode(format!("the salt of {day} is missing or malformed"))
                    })
            })
            .await
    }

    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        self.other
            .run(move |conn| {
                let deleted =
                    conn.execute("DELETE FROM visitor_salts WHERE day < ?", [date_text(day)])?;
                Ok(deleted as u64)
            })
            .await
    }

    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError> {
        self.other
            .run(move |conn| {
                let stored: Option<Vec<u8>> = conn
                    .query_row(
                        "SELECT salt FROM visitor_salts WHERE day = ?",
                        [date_text(day)],
                        |r| r.get(0),
                    )
                    .optional()?;
                Ok(stored.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()))
            })
            .await
    }
}

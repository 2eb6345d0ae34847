//! SQL of the daily visitor salts.

use async_trait::async_trait;
use chrono::NaiveDate;
use mysql_async::prelude::Queryable;

use super::MySqlStore;
use crate::store::{Salts, StoreError};

#[async_trait]
impl Salts for MySqlStore {
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        let mut conn = self.pool().get_conn().await?;
        conn.exec_drop(
            "INSERT INTO visitor_salts (day, salt) VALUES (?, ?) ON DUPLICATE KEY UPDATE day = day",
            (day, candidate.to_vec()),
        )
        .await?;
        let stored: Option<Vec<u8>> = conn
            .exec_first("SELECT salt FROM visitor_salts WHERE day = ?", (day,))
            .await?;
        stored
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| StoreError::Decode(format!("the salt of {day} is missing or malformed")))
    }

    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        conn.exec_drop("DELETE FROM visitor_salts WHERE day < ?", (day,))
            .await?;
        Ok(conn.affected_rows())
    }

    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let stored: Option<Vec<u8>> = conn
            .exec_first("SELECT salt FROM visitor_salts WHERE day = ?", (day,))
            .await?;
        Ok(stored.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()))
    }
}

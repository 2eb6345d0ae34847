//! SQL of the daily visitor salts.

use async_trait::async_trait;
use chrono::NaiveDate;
use mysql_async::prelude::Queryable;

use super::MySqlStore;
use crate::store::sql::{DELETE_SALTS_BEFORE, SALT_OF_DAY};
use crate::store::{ensured_salt, salt_bytes, Salts, StoreError};

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
        ensured_salt(day, conn.exec_first(SALT_OF_DAY, (day,)).await?)
    }

    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        conn.exec_drop(DELETE_SALTS_BEFORE, (day,)).await?;
        Ok(conn.affected_rows())
    }

    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        Ok(salt_bytes(conn.exec_first(SALT_OF_DAY, (day,)).await?))
    }
}

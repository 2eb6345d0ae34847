//! SQL of adopting an old deployment's database: reading back rows that hold a raw address or a
//! full user agent, and writing their anonymized form.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use mysql_async::prelude::Queryable;
use mysql_async::{Params, TxOpts};

use super::MySqlStore;
use crate::store::{Adoption, AdoptionRewrite, AdoptionRow, StoreError};
use crate::visitor::StoredIp;

type Raw = (
    i64,
    Option<String>,
    Option<String>,
    String,
    NaiveDateTime,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[async_trait]
impl Adoption for MySqlStore {
    async fn rows_to_adopt(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AdoptionRow>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let rows: Vec<Raw> = conn
            .exec(
                "SELECT id, ip_address, user_agent, site_id, start_time, visitor_hash, browser, os, device FROM ide_sessions \
                 WHERE id > ? AND (ip_address IS NOT NULL OR (browser IS NULL AND user_agent IS NOT NULL)) \
                 ORDER BY id LIMIT ?",
                (after_id, limit),
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, ip, user_agent, site, start_time, visitor_hash, browser, os, device)| {
                    AdoptionRow {
                        id,
                        ip: ip.map(StoredIp::new),
                        user_agent,
                        site,
                        start_time,
                        visitor_hash,
                        browser,
                        os,
                        device,
                    }
                },
            )
            .collect())
    }

    async fn write_adopted(&self, rows: &[AdoptionRewrite]) -> Result<(), StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let mut tx = conn.start_transaction(TxOpts::default()).await?;
        let params: Vec<Params> = rows
            .iter()
            .map(|r| {
                Params::from((
                    r.visitor_hash.clone(),
                    r.ip_address.clone(),
                    r.user_agent.clone(),
                    r.browser.clone(),
                    r.os.clone(),
                    r.device.clone(),
                    r.id,
                ))
            })
            .collect();
        tx.exec_batch(
            "UPDATE ide_sessions SET visitor_hash = ?, ip_address = ?, user_agent = ?, \
             browser = ?, os = ?, device = ? WHERE id = ?",
            params,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn clear_other_addresses(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let has_page_visits: Option<u64> = conn
            .query_first(
                "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = 'page_visits' AND COLUMN_NAME = 'ip_address'",
            )
            .await?;
        if has_page_visits.unwrap_or(0) == 0 {
            return Ok(0);
        }
        // In chunks, so that a big table is never locked in one long transaction.
        let mut cleared = 0;
        loop {
            conn.query_drop(
                "UPDATE page_visits SET ip_address = NULL WHERE ip_address IS NOT NULL LIMIT 5000",
            )
            .await?;
            match conn.affected_rows() {
                0 => return Ok(cleared),
                n => cleared += n,
            }
        }
    }
}

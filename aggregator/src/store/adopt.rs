//! SQL of adopting an old deployment's database: reading back rows that hold a raw address or a
//! full user agent, and writing their anonymized form.

use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::prelude::Queryable;
use mysql_async::{Params, TxOpts};

use super::{Store, StoreError};
use crate::visitor::StoredIp;

/// A session row as the adoption reads it.
#[derive(Debug)]
pub struct AdoptedRow {
    pub id: i64,
    pub ip: Option<StoredIp>,
    pub user_agent: Option<String>,
    pub site: String,
    pub start_time: NaiveDateTime,
    pub visitor_hash: Option<String>,
    /// The reduced agent, when the row has one already (written by this aggregator).
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

/// What replaces the identifying columns of a row.
#[derive(Debug)]
pub struct AnonymizedRow {
    pub id: i64,
    pub visitor_hash: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

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

impl Store {
    /// Up to `limit` rows after `after_id` (by id) that hold an address, or an agent never reduced.
    pub async fn rows_to_anonymize(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AdoptedRow>, StoreError> {
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
                    AdoptedRow {
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

    /// Writes one chunk of anonymized rows in one transaction.
    pub async fn write_anonymized(&self, rows: &[AnonymizedRow]) -> Result<(), StoreError> {
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

    /// The stored salt of `day`, without ever creating one.
    pub async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        let stored: Option<Vec<u8>> = conn
            .exec_first("SELECT salt FROM visitor_salts WHERE day = ?", (day,))
            .await?;
        Ok(stored.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok()))
    }
}

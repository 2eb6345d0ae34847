//! SQL of `adopt` on SQLite: rows that hold an address (truncate mode keeps a
//! network) or a full user agent, and their rewritten form.

use async_trait::async_trait;
use rusqlite::TransactionBehavior;

use super::time::parse_time;
use super::SqliteStore;
use crate::store::{Adoption, AdoptionRewrite, AdoptionRow, StoreError};
use crate::visitor::StoredIp;

#[async_trait]
impl Adoption for SqliteStore {
    async fn rows_to_adopt(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AdoptionRow>, StoreError> {
        self.other
            .run(move |conn| {
                let mut select = conn.prepare_cached(
                    "SELECT id, ip_address, user_agent, site_id, start_time, visitor_hash, browser, os, device \
                     FROM ide_sessions WHERE id > ? AND (ip_address IS NOT NULL OR (browser IS NULL AND user_agent IS NOT NULL)) \
                     ORDER BY id LIMIT ?",
                )?;
                let raw = select
                    .query_map((after_id, limit), |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get::<_, String>(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                raw.into_iter()
                    .map(|(id, ip, user_agent, site, start, visitor_hash, browser, os, device)| {
                        Ok(AdoptionRow {
                            id,
                            ip: ip.map(StoredIp::new),
                            user_agent,
                            site,
                            start_time: parse_time(&start)?,
                            visitor_hash,
                            browser,
                            os,
                            device,
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn write_adopted(&self, rows: &[AdoptionRewrite]) -> Result<(), StoreError> {
        let rows: Vec<AdoptionRewrite> = rows.to_vec();
        self.other
            .run(move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                {
                    let mut update = tx.prepare_cached(
                        "UPDATE ide_sessions SET visitor_hash = ?, ip_address = ?, user_agent = ?, \
                         browser = ?, os = ?, device = ? WHERE id = ?",
                    )?;
                    for r in &rows {
                        update.execute((
                            &r.visitor_hash,
                            &r.ip_address,
                            &r.user_agent,
                            &r.browser,
                            &r.os,
                            &r.device,
                            r.id,
                        ))?;
                    }
                }
                tx.commit()?;
                Ok(())
            })
            .await
    }
}

//! Adopting the old deployment's database (`usage-aggregator adopt`): every raw
//! address it stored is replaced by the configured mode's form, full user agents are reduced
//! (unless configured to keep them), and the days whose figures changed are rolled up again.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;

use crate::domain::site_zones::Zones;
use crate::domain::{agent, widths};
use crate::store::{AdoptionRewrite, AdoptionRow, Store, StoreError};
use crate::visitor::{self, IpMode, Salt};

/// Rows per read and per transaction.
const CHUNK: u32 = 500;

#[derive(Debug, Default)]
pub struct AdoptionOutcome {
    /// Rows rewritten.
    pub rows: u64,
    /// Of those, rows that held an address.
    pub addresses: u64,
    /// Days for which no salt existed any more: hashed with a one-off salt that is never stored.
    pub one_off_salt_days: u64,
    /// Start days of the rewritten rows.
    pub days: BTreeSet<NaiveDate>,
    /// Rows of the old deployment's `page_visits` whose address was cleared.
    pub page_visits: u64,
}

pub struct Adoption<'a> {
    pub store: &'a Store,
    pub mode: IpMode,
    pub store_full_user_agent: bool,
    /// The zones: a row is hashed with the salt of its day in its site's zone, the day its
    /// site's figures count it on.
    pub zones: Zones,
}

impl Adoption<'_> {
    /// Rewrites every row that still holds an address or an unreduced agent; rerunning it finds
    /// nothing left to do (in truncate mode it rewrites prefixes to themselves).
    pub async fn run(&self) -> Result<AdoptionOutcome, StoreError> {
        let mut salts: HashMap<NaiveDate, Salt> = HashMap::new();
        let mut outcome = AdoptionOutcome::default();
        let mut after = 0;
        loop {
            let rows = self.store.rows_to_adopt(after, CHUNK).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            let mut rewritten = Vec::with_capacity(rows.len());
            for row in rows {
                let day = self
                    .zones
                    .of(Some(row.site.as_str()))
                    .day_of(row.start_time);
                if row.ip.is_some() && !salts.contains_key(&day) {
                    let salt = match self.store.existing_salt(day).await? {
                        Some(bytes) => Salt::from_bytes(bytes),
                        None => {
                            outcome.one_off_salt_days += 1;
                            Salt::random()
                        }
                    };
                    salts.insert(day, salt);
                }
                outcome.addresses += u64::from(row.ip.is_some());
                outcome.days.insert(day);
                rewritten.push(self.rewrite(row, &salts));
            }
            outcome.rows += rewritten.len() as u64;
            self.store.write_adopted(&rewritten).await?;
        }
        outcome.page_visits = self.store.clear_other_addresses().await?;
        Ok(outcome)
    }

    fn rewrite(&self, row: AdoptionRow, salts: &HashMap<NaiveDate, Salt>) -> AdoptionRewrite {
        let user_agent = row.user_agent.clone().unwrap_or_default();
        let (visitor_hash, ip_address) = match (
            row.ip,
            salts.get(
                &self
                    .zones
                    .of(Some(row.site.as_str()))
                    .day_of(row.start_time),
            ),
        ) {
            (Some(ip), Some(salt)) => {
                let stored = visitor::anonymize_stored(ip, self.mode, salt, &user_agent, &row.site);
                // A hash the row already has (written live) stays: it used the right salt.
                let hash = match self.mode {
                    IpMode::Drop => None,
                    _ => row.visitor_hash.or(stored.visitor_hash),
                };
                (hash, stored.ip_address)
            }
            _ => (row.visitor_hash, None),
        };
        // Rows written by this aggregator already carry their reduced agent: keep it as it is.
        let (agent_text, browser, os, device) = match row.browser {
            Some(browser) => (row.user_agent, Some(browser), row.os, row.device),
            None if user_agent.is_empty() => (None, None, None, None),
            None => {
                let reduced = agent::reduce(&user_agent);
                let text = if self.store_full_user_agent {
                    widths::fit(&user_agent, widths::USER_AGENT_CHARS)
                } else {
                    reduced.summary.to_string()
                };
                (
                    Some(text),
                    Some(reduced.browser.to_string()),
                    Some(reduced.os.to_string()),
                    Some(reduced.device.to_string()),
                )
            }
        };
        AdoptionRewrite {
            id: row.id,
            visitor_hash,
            ip_address,
            user_agent: agent_text,
            browser,
            os,
            device,
        }
    }
}

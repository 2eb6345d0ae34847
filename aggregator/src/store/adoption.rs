//! Adopting an old database (`usage-aggregator adopt`): what the command asks of a store.

use async_trait::async_trait;

use super::{AdoptionRewrite, AdoptionRow, StoreError};

/// Adopting an old database: rewriting stored rows that hold an address or a full user agent
/// (`usage-aggregator adopt`).
#[async_trait]
pub trait Adoption: Send + Sync {
    /// Up to `limit` rows after `after_id` (by id) that hold an address, or an agent never reduced.
    async fn rows_to_adopt(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<AdoptionRow>, StoreError>;
    /// Writes one chunk of adopted rows in one transaction.
    async fn write_adopted(&self, rows: &[AdoptionRewrite]) -> Result<(), StoreError>;
    /// Clears the addresses the old deployment's other tables hold (`page_visits.ip_address`,
    /// which no visitor hash can replace); returns the rows cleared. A store without such tables
    /// has nothing to clear.
    async fn clear_other_addresses(&self) -> Result<u64, StoreError> {
        Ok(0)
    }
}

//! The daily visitor salts as the stores keep them, and the visitor's salt cache over them.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::{Store, StoreError};

/// The daily visitor salts.
#[async_trait]
pub trait Salts: Send + Sync {
    /// Stores `candidate` as the salt of `day` unless a replica got there first; returns the salt.
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError>;
    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError>;
    /// The stored salt of `day`, without ever creating one.
    async fn existing_salt(&self, day: NaiveDate) -> Result<Option<[u8; 32]>, StoreError>;
}

/// A stored salt column as a salt; a value of another length is none.
pub(super) fn salt_bytes(stored: Option<Vec<u8>>) -> Option<[u8; 32]> {
    stored.and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

/// The salt of `day` read back right after [`Salts::ensure_salt`] stored it (or found one).
pub(super) fn ensured_salt(
    day: NaiveDate,
    stored: Option<Vec<u8>>,
) -> Result<[u8; 32], StoreError> {
    salt_bytes(stored)
        .ok_or_else(|| StoreError::Decode(format!("the salt of {day} is missing or malformed")))
}

/// The visitor's salt cache keeps its salts in the store's salt table.
#[async_trait]
impl crate::visitor::SaltTable for Store {
    type Error = StoreError;
    async fn ensure_salt(
        &self,
        day: NaiveDate,
        candidate: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        Salts::ensure_salt(&**self, day, candidate).await
    }
    async fn delete_salts_before(&self, day: NaiveDate) -> Result<u64, StoreError> {
        Salts::delete_salts_before(&**self, day).await
    }
}

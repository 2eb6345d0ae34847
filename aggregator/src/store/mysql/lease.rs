//! SQL of the maintenance lease: a row claimed with an expiry, by the database's clock (every
//! replica reads the same one).

use std::time::Duration;

use async_trait::async_trait;
use mysql_async::prelude::Queryable;

use super::MySqlStore;
use crate::store::sql::RELEASE_LEASE;
use crate::store::{Failure, Lease, Leases, Phase, StoreError};

#[async_trait]
impl Leases for MySqlStore {
    async fn claim_lease(&self, lease: Lease<'_>, ttl: Duration) -> Result<bool, StoreError> {
        let mut conn = self.pool().get_conn().await?;
        // Assignments run left to right: expires_at moves only when holder is (now) ours.
        let claimed = conn
            .exec_drop(
                "INSERT INTO maintenance_leases (name, holder, expires_at) \
                 VALUES (?, ?, NOW(3) + INTERVAL ? MICROSECOND) \
                 ON DUPLICATE KEY UPDATE \
                 holder = IF(expires_at < NOW(3) OR holder = VALUES(holder), VALUES(holder), holder), \
                 expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)",
                (lease.name, lease.holder, ttl.as_micros() as u64),
            )
            .await
            .map_err(StoreError::from);
        match claimed {
            Ok(()) => {}
            // Another node's claim of the same row committed first (Galera certification).
            Err(e) if e.failure(Phase::Commit) == Failure::Conflict => return Ok(false),
            Err(e) => return Err(e),
        }
        let current: Option<String> = conn
            .exec_first(
                "SELECT holder FROM maintenance_leases WHERE name = ?",
                (lease.name,),
            )
            .await?;
        Ok(current.as_deref() == Some(lease.holder))
    }

    async fn release_lease(&self, lease: Lease<'_>) -> Result<(), StoreError> {
        let mut conn = self.pool().get_conn().await?;
        conn.exec_drop(RELEASE_LEASE, (lease.name, lease.holder))
            .await?;
        Ok(())
    }
}

//! SQL of the maintenance lease on SQLite: the same row claimed with an expiry (one process
//! writes a SQLite file, but two aggregators on one file must not roll up at once either).

use std::time::Duration;

use async_trait::async_trait;

use super::SqliteStore;
use crate::store::sql::RELEASE_LEASE;
use crate::store::{Lease, Leases, StoreError};

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[async_trait]
impl Leases for SqliteStore {
    async fn claim_lease(&self, lease: Lease<'_>, ttl: Duration) -> Result<bool, StoreError> {
        let (name, holder) = (lease.name.to_string(), lease.holder.to_string());
        let ttl_ms = ttl.as_millis() as i64;
        self.other
            .run(move |conn| {
                let now = now_ms();
                let changed = conn.execute(
                    "INSERT INTO maintenance_leases (name, holder, expires_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
                     expires_at = excluded.expires_at \
                     WHERE maintenance_leases.expires_at < ?4 \
                     OR maintenance_leases.holder = excluded.holder",
                    (&name, &holder, now + ttl_ms, now),
                )?;
                Ok(changed == 1)
            })
            .await
    }

    async fn release_lease(&self, lease: Lease<'_>) -> Result<(), StoreError> {
        let (name, holder) = (lease.name.to_string(), lease.holder.to_string());
        self.other
            .run(move |conn| {
                conn.execute(RELEASE_LEASE, (&name, &holder))?;
                Ok(())
            })
            .await
    }
}

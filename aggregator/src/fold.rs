//! The folder of the heartbeat journal (`domain::journal`, docs/heartbeat-journal.md): applies
//! the journal's rows to `ide_sessions` in large merged upserts and deletes them. `serve` folds
//! every `heartbeat_journal_fold_secs` (1 s by default, an hour at most) under the `fold` lease
//! when `heartbeat_journal` is on (`jobs.rs`); the readers that need the newest state fold first
//! (the live view, the idle sweep, the rollup);
//! `usage-aggregator fold` empties the journal before a downgrade. A fold is idempotent, so
//! folding without the lease is only wasted work, never a wrong row.

use std::time::Duration;

use crate::store::{Folded, Store, StoreError};

/// Journal rows read per fold transaction: each holds one flush's sessions (up to
/// `max_requests_per_flush`, 512 by default, ~200 bytes each), so a transaction's text and
/// decoded entries stay within a few MB (figure d's memory) and its locks short.
pub const FOLD_ROWS: u32 = 32;

/// Transactions one call folds at most, so that a journal growing faster than the fold cannot
/// hold a caller forever; the next call goes on.
const MAX_ROUNDS: u32 = 64;

/// The lease that lets one replica at a time fold every second.
pub const FOLD_LEASE: &str = "fold";

/// How long a claim of it lasts (renewed at every fold by its holder): a replica that dies
/// holding it delays folding by this much at most. Never shorter than the fold period, or the
/// lease would lapse between two folds of its holder ([`fold_lease_ttl`]).
pub const FOLD_LEASE_TTL: Duration = Duration::from_secs(10);

/// The fold lease's time to live for a fold period: [`FOLD_LEASE_TTL`], or three periods when
/// folds are further apart, so that the holder renews it twice before it lapses.
pub fn fold_lease_ttl(every: Duration) -> Duration {
    FOLD_LEASE_TTL.max(every.saturating_mul(3))
}

/// The store and the start slack the folded rows' times are derived with (as the writer's).
#[derive(Clone)]
pub struct Folder {
    pub store: Store,
    pub slack: chrono::Duration,
}

impl Folder {
    /// Folds until the journal is empty, or [`MAX_ROUNDS`] transactions.
    pub async fn fold_all(&self) -> Result<Folded, StoreError> {
        let mut total = Folded::default();
        for _ in 0..MAX_ROUNDS {
            let folded = self.store.fold_journal(self.slack, FOLD_ROWS).await?;
            total.rows += folded.rows;
            total.sessions += folded.sessions;
            if folded.rows < u64::from(FOLD_ROWS) {
                break;
            }
        }
        Ok(total)
    }

    /// Folds before a read that must see every acknowledged heartbeat (`reader` names it in
    /// the log). A failure (a Galera conflict with the replica folding now, a read-only store)
    /// is logged and the read goes on: it then misses at most the last second's heartbeats.
    pub async fn fold_first(&self, reader: &'static str) {
        if let Err(error) = self.fold_all().await {
            tracing::debug!(%error, reader, "folding the heartbeat journal first failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_outlives_two_missed_folds_and_never_less_than_ten_seconds() {
        assert_eq!(fold_lease_ttl(Duration::from_secs(1)), FOLD_LEASE_TTL);
        assert_eq!(fold_lease_ttl(Duration::from_secs(3)), FOLD_LEASE_TTL);
        assert_eq!(
            fold_lease_ttl(Duration::from_secs(15)),
            Duration::from_secs(45)
        );
    }
}

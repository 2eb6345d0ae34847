//! When the database refuses a value of a flush (the data's fault, not an outage), the flush is
//! split in halves and each half written and committed on its own, halving again where a half is
//! refused, until every good request is committed and each offending request stands alone and is
//! answered with the refusal (422). One bad request costs its flush about 2·log2(n) extra
//! transactions, and no other request is turned away. An outage met on the way answers 503 to
//! everything not yet committed. Each request is in exactly one committed transaction or none.

use std::sync::Arc;

use super::{Ack, NotStored};
use crate::domain::flush::{Flush, Request};
use crate::store::{Store, StoreError};

/// What the isolation needs to write one group.
pub struct Isolation<'a> {
    pub store: &'a Store,
    pub slack: chrono::Duration,
    pub timeout: std::time::Duration,
}

/// Writes `jobs` (the requests of a refused flush) in smaller and smaller groups and answers each
/// request. Returns how many requests were refused.
pub async fn isolate(how: Isolation<'_>, jobs: Vec<(Request, Ack)>) -> usize {
    let mut refused = 0;
    // Depth first, so that the requests are committed in the order they came.
    let mut pending = split(jobs);
    pending.reverse();
    while let Some(group) = pending.pop() {
        match write_and_commit(&how, &group).await {
            Ok(()) => answer(group, Ok(())),
            Err(Some(reason)) if group.len() == 1 => {
                refused += 1;
                tracing::warn!(%reason, "a request's rows were refused by the database");
                answer(group, Err(NotStored::Refused(reason)));
            }
            Err(Some(_)) => {
                let mut halves = split(group);
                halves.reverse();
                pending.extend(halves);
            }
            Err(None) => {
                answer(group, Err(NotStored::DatabaseUnavailable));
                for rest in pending.drain(..) {
                    answer(rest, Err(NotStored::DatabaseUnavailable));
                }
            }
        }
    }
    refused
}

/// Ok when committed; Err(Some(reason)) when a value was refused; Err(None) on an outage.
async fn write_and_commit(
    how: &Isolation<'_>,
    group: &[(Request, Ack)],
) -> Result<(), Option<String>> {
    let flush = Arc::new(Flush::gather(
        group.iter().map(|(rows, _)| rows.clone()),
        how.slack,
    ));
    let refusal = |error: StoreError| error.refused_value();
    let written = tokio::time::timeout(how.timeout, how.store.write_flush(flush.clone()))
        .await
        .map_err(|_| None)?
        .map_err(refusal)?;
    let inserted = tokio::time::timeout(how.timeout, written.commit())
        .await
        .map_err(|_| None)?
        .map_err(refusal)?;
    crate::metrics::committed();
    // Each request is in one committed group at most: its repeats count once.
    crate::metrics::repeated(flush.repeated(inserted));
    Ok(())
}

fn split(mut jobs: Vec<(Request, Ack)>) -> Vec<Vec<(Request, Ack)>> {
    if jobs.len() <= 1 {
        return vec![jobs];
    }
    let second = jobs.split_off(jobs.len() / 2);
    vec![jobs, second]
}

fn answer(group: Vec<(Request, Ack)>, outcome: Result<(), NotStored>) {
    for (_, ack) in group {
        let _ = ack.send(outcome.clone());
    }
}

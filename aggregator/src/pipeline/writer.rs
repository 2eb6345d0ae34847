//! The writer task: requests queue their rows on a bounded channel and wait; the writer takes
//! everything queued, commits it as one transaction and answers every request. While one commit
//! runs, the next requests gather, so the commit rate adapts to the load (group commit).

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::batch::Flush;
use crate::domain::ingest::BatchRows;
use crate::store::{Store, WriterConn};

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Requests that may wait for the writer before new ones are turned away.
    pub queue_capacity: usize,
    /// Requests gathered into one transaction at most.
    pub max_requests_per_flush: usize,
    /// A flush that takes longer is abandoned and its requests told to retry.
    pub flush_timeout: Duration,
    pub session_slack: chrono::Duration,
}

/// Why rows were not stored. Either way nothing was acknowledged, so the client keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotStored {
    #[error("the write queue is full")]
    QueueFull,
    #[error("the database is unavailable")]
    DatabaseUnavailable,
}

struct Job {
    rows: BatchRows,
    done: oneshot::Sender<Result<(), NotStored>>,
}

/// The request side of the writer; cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Resolves once the rows are committed: only then may the request be acknowledged.
    pub async fn store(&self, rows: BatchRows) -> Result<(), NotStored> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .try_send(Job { rows, done })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => NotStored::QueueFull,
                mpsc::error::TrySendError::Closed(_) => NotStored::DatabaseUnavailable,
            })?;
        committed
            .await
            .unwrap_or(Err(NotStored::DatabaseUnavailable))
    }
}

/// Starts the writer. It runs until every handle is dropped and the queue is drained.
pub fn spawn(store: Store, config: WriterConfig) -> (WriterHandle, JoinHandle<()>) {
    let (jobs, queue) = mpsc::channel(config.queue_capacity);
    let task = tokio::spawn(run(queue, store, config));
    (WriterHandle { jobs }, task)
}

async fn run(mut queue: mpsc::Receiver<Job>, store: Store, config: WriterConfig) {
    let mut failing = false;
    let mut conn = WriterConn::default();
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < config.max_requests_per_flush {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (rows, acks): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|job| (job.rows, job.done)).unzip();
        let flush = Flush::gather(rows);
        let outcome = match tokio::time::timeout(
            config.flush_timeout,
            store.write_flush(&mut conn, &flush, config.session_slack),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!("no commit within {:?}", config.flush_timeout)),
        };
        match &outcome {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("database writes succeed again");
            }
            Ok(()) => tracing::debug!(
                requests = acks.len(),
                sessions = flush.sessions.len(),
                "flush committed"
            ),
            // Logged once per outage, not once per request: an outage must not flood the log.
            Err(error) if !failing => {
                failing = true;
                tracing::error!(%error, "database write failed; answering 503 until it recovers");
            }
            Err(_) => {}
        }
        let answer = outcome.map_err(|_| NotStored::DatabaseUnavailable);
        for ack in acks {
            // A client that went away no longer waits for its answer; its rows are stored anyway.
            let _ = ack.send(answer);
        }
    }
    tracing::debug!("write queue drained");
}

//! The writer task: requests queue their rows on a bounded channel and wait; the writer takes
//! everything queued, writes it as one transaction and answers every request once it commits.
//! While one flush is written and committed, the next requests gather, so the commit rate adapts
//! to the load (group commit); the next flush is written while the previous one commits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::batch::Flush;
use super::isolate::{isolate, Isolation};
use crate::domain::ingest::BatchRows;
use crate::store::{Store, Written};

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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotStored {
    #[error("the write queue is full")]
    QueueFull,
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// The database refused a value of this request (and only this one: see `isolate`).
    #[error("{0}")]
    Refused(String),
}

/// Where a request waits for its answer.
pub type Ack = oneshot::Sender<Result<(), NotStored>>;

struct Job {
    rows: BatchRows,
    done: Ack,
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
    // Since when writes fail; None while they succeed.
    let mut failing: Option<Instant> = None;
    let mut committing: Option<JoinHandle<Committed>> = None;
    while let Some(first) = queue.recv().await {
        // A commit that ended while the writer waited gives its connection back first.
        if committing.as_ref().is_some_and(|task| task.is_finished()) {
            settle(committing.take(), &mut failing).await;
        }
        let mut jobs = vec![first];
        while jobs.len() < config.max_requests_per_flush {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::flush_started(jobs.len(), queue.len());
        let (rows, acks): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|job| (job.rows, job.done)).unzip();
        // Kept for `isolate` should the database refuse a value; a copy costs far less than
        // the flush's round trips.
        let flush = Arc::new(Flush::gather(rows.iter().cloned(), config.session_slack));
        // Written while the previous flush commits: the disk's sync no longer stalls the writer.
        let writing = Instant::now();
        let written =
            tokio::time::timeout(config.flush_timeout, store.write_flush(flush.clone())).await;
        // One commit at a time, in order: the previous one ends before this one begins.
        settle(committing.take(), &mut failing).await;
        match written {
            Ok(Ok(written)) => {
                crate::metrics::flush_written(writing.elapsed());
                let sessions = flush.sessions.len();
                committing = Some(tokio::spawn(commit(
                    written,
                    acks,
                    sessions,
                    config.flush_timeout,
                )));
            }
            Ok(Err(error)) if error.refused_value().is_some() => {
                let how = Isolation {
                    store: &store,
                    slack: config.session_slack,
                    timeout: config.flush_timeout,
                };
                isolate(how, rows.into_iter().zip(acks).collect()).await;
            }
            Ok(Err(error)) => {
                note(&mut failing, &Err(error.to_string()));
                answer(acks, Err(NotStored::DatabaseUnavailable));
            }
            Err(_) => {
                let error = format!("not written within {:?}", config.flush_timeout);
                note(&mut failing, &Err(error));
                answer(acks, Err(NotStored::DatabaseUnavailable));
            }
        }
    }
    settle(committing.take(), &mut failing).await;
    tracing::debug!("write queue drained");
}

/// What a commit task hands back to the writer.
type Committed = Result<(), String>;

/// Commits a written flush and answers its requests.
async fn commit(
    written: Box<dyn Written>,
    acks: Vec<Ack>,
    sessions: usize,
    timeout: Duration,
) -> Committed {
    let committing = Instant::now();
    let outcome = match tokio::time::timeout(timeout, written.commit()).await {
        Ok(Ok(())) => {
            crate::metrics::flush_committed(committing.elapsed());
            Ok(())
        }
        Ok(Err(error)) => Err(error.to_string()),
        // What was written is dropped with the commit, and rolled back by the store.
        Err(_) => Err(format!("no commit within {timeout:?}")),
    };
    if outcome.is_ok() {
        tracing::debug!(requests = acks.len(), sessions, "flush committed");
    }
    answer(
        acks,
        outcome.clone().map_err(|_| NotStored::DatabaseUnavailable),
    );
    outcome
}

/// Waits for a commit task and logs its outcome.
async fn settle(task: Option<JoinHandle<Committed>>, failing: &mut Option<Instant>) {
    let Some(task) = task else { return };
    match task.await {
        Ok(outcome) => note(failing, &outcome),
        // Its requests, never answered, were told the database is unavailable.
        Err(error) => note(failing, &Err(format!("commit task failed: {error}"))),
    }
}

/// Logs an outage once, not once per request (an outage must not flood the log), and its end
/// with how long it lasted; the `usage_database_available` gauge follows the same changes.
fn note(failing: &mut Option<Instant>, outcome: &Result<(), String>) {
    match (outcome, *failing) {
        (Ok(()), Some(since)) => {
            *failing = None;
            crate::metrics::database_available(true);
            let outage_secs = since.elapsed().as_secs_f64();
            tracing::info!(
                outage_secs = format_args!("{outage_secs:.1}"),
                "database writes succeed again"
            );
        }
        (Ok(()), None) => {}
        (Err(error), None) => {
            *failing = Some(Instant::now());
            crate::metrics::database_error("write");
            crate::metrics::database_available(false);
            tracing::error!(%error, "database write failed; answering 503 until it recovers");
        }
        (Err(_), Some(_)) => crate::metrics::database_error("write"),
    }
}

fn answer(acks: Vec<Ack>, answer: Result<(), NotStored>) {
    for ack in acks {
        // A client that went away no longer waits for its answer; its rows are stored anyway.
        let _ = ack.send(answer.clone());
    }
}

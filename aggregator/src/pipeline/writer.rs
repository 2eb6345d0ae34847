//! The writer task: requests queue their rows on a bounded channel and wait; the writer takes
//! everything queued, writes it as one transaction and answers every request once it commits.
//! While one flush is written and committed, the next requests gather, so the commit rate adapts
//! to the load (group commit); the next flush is written while the previous one commits.
//! A flush rolled back by a conflict (a Galera certification failure), or whose commit's outcome
//! is unknown, is written again (see `store::Failure`); a request is acknowledged only once a
//! commit holding it succeeded. Events found stored already are counted as repeated when the
//! commit that skipped them succeeds, once per flush; a flush rolled back counts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::isolate::{isolate, Isolation};
use super::{Ack, NotStored};
use crate::domain::flush::{Flush, Request};
use crate::store::{Failure, Phase, Store, Written};

#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Requests that may wait for the writer before new ones are turned away.
    pub queue_capacity: usize,
    /// Requests gathered into one transaction at most.
    pub max_requests_per_flush: usize,
    /// A flush that takes longer is abandoned and its requests told to retry.
    pub flush_timeout: Duration,
    pub session_slack: chrono::Duration,
    /// `heartbeat_journal`: sessions without events in a flush go to the journal as one row
    /// instead of one upsert each (`domain::journal`).
    pub heartbeat_journal: bool,
}

/// Times a request is written at most when flushes are rolled back by conflicts or their
/// commits' outcomes are unknown; then it is answered 503 and the client retries it later.
pub const MAX_ATTEMPTS: u8 = 3;

struct Job {
    rows: Request,
    done: Ack,
    /// Flushes this request was in that were rolled back or whose outcome is unknown.
    attempts: u8,
}

/// The request side of the writer; cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    jobs: mpsc::Sender<Job>,
}

impl WriterHandle {
    /// Resolves once the rows are committed: only then may the request be acknowledged.
    pub async fn store(&self, rows: impl Into<Request>) -> Result<(), NotStored> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .try_send(Job {
                rows: rows.into(),
                done,
                attempts: 0,
            })
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
    // Requests of a flush rolled back by a conflict, or whose commit's outcome is unknown: they
    // go first into the next flush (a flush is idempotent, so running one again is safe).
    let mut again: Vec<Job> = Vec::new();
    loop {
        let mut jobs = std::mem::take(&mut again);
        if jobs.is_empty() {
            let next = match committing.as_mut() {
                // Idle while a commit runs: a commit to retry must not wait for new traffic.
                Some(task) => tokio::select! {
                    job = queue.recv() => job,
                    ended = task => {
                        committing = None;
                        again = settled(ended, &mut failing);
                        continue;
                    }
                },
                None => queue.recv().await,
            };
            match next {
                Some(job) => jobs.push(job),
                // Closed and drained; what is still committing may hand back requests to retry.
                None if committing.is_some() => {
                    again = settle(committing.take(), &mut failing).await;
                    continue;
                }
                None => break,
            }
        }
        // A commit that ended while the writer waited gives its connection back first.
        if committing.as_ref().is_some_and(|task| task.is_finished()) {
            jobs.extend(settle(committing.take(), &mut failing).await);
        }
        while jobs.len() < config.max_requests_per_flush {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        crate::metrics::flush_started(jobs.len(), queue.len());
        // Kept for `isolate` should the database refuse a value, and to run the flush again;
        // a copy costs far less than the flush's round trips.
        let mut flush = Flush::gather(
            jobs.iter().map(|job| job.rows.clone()),
            config.session_slack,
        );
        if config.heartbeat_journal {
            flush.journal_heartbeats();
        }
        let flush = Arc::new(flush);
        // Its span (DEBUG) covers the write, its child the commit: a slow flush shows which.
        let span = tracing::debug_span!(
            "flush",
            requests = jobs.len(),
            sessions = flush.sessions.len(),
            queued = queue.len()
        );
        // Written while the previous flush commits: the disk's sync no longer stalls the writer.
        let writing = Instant::now();
        let written = tokio::time::timeout(config.flush_timeout, store.write_flush(flush.clone()))
            .instrument(span.clone())
            .await;
        // One commit at a time, in order: the previous one ends before this one begins.
        again.extend(settle(committing.take(), &mut failing).await);
        match written {
            Ok(Ok(written)) => {
                crate::metrics::flush_written(writing.elapsed());
                let commit_span = tracing::debug_span!(parent: &span, "flush.commit");
                committing = Some(tokio::spawn(
                    commit(written, jobs, flush, config.flush_timeout).instrument(commit_span),
                ));
            }
            Ok(Err(error)) => match error.failure(Phase::Write) {
                Failure::Refused(_) => {
                    let how = Isolation {
                        store: &store,
                        slack: config.session_slack,
                        timeout: config.flush_timeout,
                    };
                    let jobs = jobs.into_iter().map(|job| (job.rows, job.done)).collect();
                    isolate(how, jobs).await;
                }
                Failure::Conflict => {
                    tracing::debug!(%error, "flush rolled back by a conflict; writing it again");
                    again.extend(once_more(jobs));
                }
                Failure::OutcomeUnknown | Failure::Unavailable => {
                    note(&mut failing, &Err(error.to_string()));
                    answer(jobs, Err(NotStored::DatabaseUnavailable));
                }
            },
            Err(_) => {
                let error = format!("not written within {:?}", config.flush_timeout);
                note(&mut failing, &Err(error));
                answer(jobs, Err(NotStored::DatabaseUnavailable));
            }
        }
    }
    tracing::debug!("write queue drained");
}

/// What a commit task hands back to the writer: the outcome to log (None after a conflict,
/// which is no outage) and the requests to write again.
struct Committed {
    outcome: Option<Result<(), String>>,
    again: Vec<Job>,
}

/// Commits a written flush and answers its requests, or hands them back to be written again
/// when the commit was rolled back by a conflict or its outcome is unknown.
async fn commit(
    written: Box<dyn Written>,
    jobs: Vec<Job>,
    flush: Arc<Flush>,
    timeout: Duration,
) -> Committed {
    let committing = Instant::now();
    let failure = match tokio::time::timeout(timeout, written.commit()).await {
        Ok(Ok(inserted)) => {
            crate::metrics::flush_committed(committing.elapsed());
            // Only here: a flush written again after a rollback was counted by no attempt
            // before. (After a commit of unknown outcome that did commit, the next attempt
            // finds the events stored: they count as repeated, as the client's retry would.)
            crate::metrics::repeated(flush.repeated(inserted));
            let sessions = flush.sessions.len();
            tracing::debug!(requests = jobs.len(), sessions, "flush committed");
            answer(jobs, Ok(()));
            return Committed {
                outcome: Some(Ok(())),
                again: Vec::new(),
            };
        }
        Ok(Err(error)) => (error.failure(Phase::Commit), error.to_string()),
        // What was written is dropped with the commit, and rolled back by the store.
        Err(_) => (
            Failure::Unavailable,
            format!("no commit within {timeout:?}"),
        ),
    };
    match failure {
        (Failure::Conflict, error) => {
            tracing::debug!(%error, "commit rolled back by a conflict; writing the flush again");
            Committed {
                outcome: None,
                again: once_more(jobs),
            }
        }
        // Perhaps committed: writing it again stores nothing twice, and only a commit seen
        // acknowledges it.
        (Failure::OutcomeUnknown, error) => Committed {
            outcome: Some(Err(format!("commit outcome unknown ({error})"))),
            again: once_more(jobs),
        },
        (_, error) => {
            answer(jobs, Err(NotStored::DatabaseUnavailable));
            Committed {
                outcome: Some(Err(error)),
                again: Vec::new(),
            }
        }
    }
}

/// The requests that may be written once more; the others are answered 503 (the client retries
/// them later, which is as safe).
fn once_more(jobs: Vec<Job>) -> Vec<Job> {
    let (again, spent): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .map(|job| Job {
            attempts: job.attempts + 1,
            ..job
        })
        .partition(|job| job.attempts < MAX_ATTEMPTS);
    answer(spent, Err(NotStored::DatabaseUnavailable));
    again
}

/// Waits for a commit task; logs its outcome and returns the requests to write again.
async fn settle(task: Option<JoinHandle<Committed>>, failing: &mut Option<Instant>) -> Vec<Job> {
    let Some(task) = task else { return Vec::new() };
    settled(task.await, failing)
}

fn settled(
    ended: Result<Committed, tokio::task::JoinError>,
    failing: &mut Option<Instant>,
) -> Vec<Job> {
    match ended {
        Ok(Committed { outcome, again }) => {
            if let Some(outcome) = outcome {
                note(failing, &outcome);
            }
            again
        }
        // Its requests, never answered, were told the database is unavailable.
        Err(error) => {
            note(failing, &Err(format!("commit task failed: {error}")));
            Vec::new()
        }
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

fn answer(jobs: Vec<Job>, answer: Result<(), NotStored>) {
    for job in jobs {
        // A client that went away no longer waits for its answer; its rows are stored anyway.
        let _ = job.done.send(answer.clone());
    }
}

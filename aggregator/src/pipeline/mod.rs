//! From accepted requests to committed rows: the writer task that gathers many requests into one
//! flush ([`crate::domain::flush`], pure), commits it and acknowledges the requests.

pub mod isolate;
pub mod writer;

use tokio::sync::oneshot;

// The answer a request waits for lives here, not in `writer`: both the writer and the isolation of a
// refused flush (`isolate`) give it, and neither imports the other's types.

/// Why rows were not stored. Either way nothing was acknowledged, so the client keeps them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotStored {
    #[error("the write queue is full")]
    QueueFull,
    #[error("the database is unavailable")]
    DatabaseUnavailable,
    /// The database refused a value of this request (and only this one: see [`isolate`]).
    #[error("{0}")]
    Refused(String),
}

/// Where a request waits for its answer.
pub type Ack = oneshot::Sender<Result<(), NotStored>>;

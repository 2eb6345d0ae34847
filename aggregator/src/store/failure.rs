//! What a failed write means for the requests of its flush, which decides what the writer does
//! with them. On a Galera cluster (docs/scale-out.md) three failures are ordinary events, not
//! outages: a certification conflict with another node's commit (1213, rolled back, safe to run
//! again), a node without quorum (1047, unavailable until it rejoins), and a commit whose answer
//! was lost (1180 or the connection dropped during COMMIT: it may or may not have committed).
//! A flush is idempotent (event ids are unique keys, session facts are cumulative maxima, run
//! counters grow by the runs a commit inserts), so the writer may run it again in every case but a
//! refused value; what it never does is acknowledge a request whose commit it did not see.

use super::StoreError;

/// Where in a flush the error came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Locking, reading and writing: nothing of the flush is committed when this fails.
    Write,
    /// The COMMIT itself.
    Commit,
}

/// What a failure means for the flush's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The database refused a value: the fault of one request, found by `pipeline::isolate`.
    Refused(String),
    /// Rolled back by a conflict with another transaction (a deadlock, a Galera certification
    /// failure, a lock wait timeout): run the flush again.
    Conflict,
    /// The commit may have happened or not: run the flush again (it is idempotent) or answer 503,
    /// never 200.
    OutcomeUnknown,
    /// The database cannot take writes now (unreachable, not part of a primary component, full):
    /// answer 503 until it recovers.
    Unavailable,
}

/// MySQL/MariaDB errors after which the transaction was rolled back and may simply run again.
const MYSQL_CONFLICT: &[u16] = &[
    1205, // lock wait timeout exceeded
    1213, // deadlock found, or a Galera certification failure at commit
    1305, // the write path's guard savepoint gone: a Galera brute-force abort ended the transaction
];

/// "Got error %d during COMMIT": on Galera the transaction may be committed all the same.
const MYSQL_COMMIT_ERROR: u16 = 1180;

impl StoreError {
    /// What this error, met in `phase`, means for the flush.
    pub fn failure(&self, phase: Phase) -> Failure {
        if let Some(reason) = self.refused_value() {
            return Failure::Refused(reason);
        }
        match self {
            StoreError::MySql(mysql_async::Error::Server(e))
                if MYSQL_CONFLICT.contains(&e.code) =>
            {
                Failure::Conflict
            }
            StoreError::MySql(mysql_async::Error::Server(e)) if e.code == MYSQL_COMMIT_ERROR => {
                Failure::OutcomeUnknown
            }
            // 1047 (WSREP not ready: no quorum) and the other server errors: the server answered
            // and said no, so nothing was committed.
            StoreError::MySql(mysql_async::Error::Server(_)) => Failure::Unavailable,
            // The connection broke: before COMMIT nothing is committed; during it, nobody knows.
            StoreError::MySql(_) if phase == Phase::Commit => Failure::OutcomeUnknown,
            _ => Failure::Unavailable,
        }
    }

    /// Whether this is MySQL's "node not ready" (Galera without quorum, or still joining).
    pub fn is_not_ready(&self) -> bool {
        matches!(self, StoreError::MySql(mysql_async::Error::Server(e)) if e.code == 1047)
    }
}

/// A MySQL server error as the driver reports it, for the tests of the error readings.
#[cfg(test)]
pub(super) fn server_error(code: u16, message: &str, state: &str) -> StoreError {
    StoreError::MySql(mysql_async::Error::Server(mysql_async::ServerError {
        code,
        message: message.into(),
        state: state.into(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(code: u16) -> StoreError {
        server_error(
            code,
            "WSREP has not yet prepared node for application use",
            "08S01",
        )
    }

    fn io_error() -> StoreError {
        let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        StoreError::MySql(mysql_async::Error::Io(mysql_async::IoError::Io(broken)))
    }

    #[test]
    fn galera_failures_are_told_apart() {
        for phase in [Phase::Write, Phase::Commit] {
            assert_eq!(mysql(1213).failure(phase), Failure::Conflict, "{phase:?}");
            assert_eq!(mysql(1205).failure(phase), Failure::Conflict, "{phase:?}");
            assert_eq!(mysql(1305).failure(phase), Failure::Conflict, "{phase:?}");
            assert_eq!(
                mysql(1047).failure(phase),
                Failure::Unavailable,
                "{phase:?}"
            );
            assert_eq!(
                mysql(1180).failure(phase),
                Failure::OutcomeUnknown,
                "{phase:?}"
            );
        }
        assert!(mysql(1047).is_not_ready());
        assert!(!mysql(1213).is_not_ready());
    }

    #[test]
    fn a_lost_connection_is_unknown_only_during_commit() {
        assert_eq!(io_error().failure(Phase::Write), Failure::Unavailable);
        assert_eq!(io_error().failure(Phase::Commit), Failure::OutcomeUnknown);
    }

    #[test]
    fn refused_values_stay_refusals() {
        assert!(matches!(
            mysql(1406).failure(Phase::Write),
            Failure::Refused(_)
        ));
        assert_eq!(
            StoreError::Setup("no database".into()).failure(Phase::Commit),
            Failure::Unavailable
        );
        // SQLite's busy database waited out its busy timeout already: an outage, not a conflict.
        let busy = StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            None,
        ));
        assert_eq!(busy.failure(Phase::Write), Failure::Unavailable);
    }
}

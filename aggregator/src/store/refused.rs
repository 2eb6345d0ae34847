//! Telling a database that refuses a value (the data's fault: too long, out of range, a
//! constraint, a foreign key, invalid JSON) from a database that is unavailable. The first is
//! about one request and must be answered 422 to that request alone; the second is answered 503
//! to every request of the flush.

use super::StoreError;

/// MySQL/MariaDB server errors that are about the row, never about the server's health.
const MYSQL_REFUSED_VALUE: &[u16] = &[
    1048, // column cannot be null
    1062, // duplicate entry for a unique key
    1216, 1217, 1451, 1452, // foreign key
    1264, // out of range value
    1265, // data truncated
    1292, 1366, 1367, // incorrect value
    1406, // data too long
    1690, // value out of range
    3140, // invalid JSON text (MySQL)
    3819, // check constraint violated (MySQL)
    4025, // CONSTRAINT failed (MariaDB, also its JSON_VALID check)
];

/// Longest part of the database's message passed on to the client.
const REASON_CHARS: usize = 200;

impl StoreError {
    /// Why the database refused a value of the flush, or None when the failure is not about
    /// the data (connection lost, timeout, lock wait, disk full: worth a retry unchanged).
    pub fn refused_value(&self) -> Option<String> {
        let message = match self {
            StoreError::MySql(mysql_async::Error::Server(e))
                if MYSQL_REFUSED_VALUE.contains(&e.code) =>
            {
                format!("error {}: {}", e.code, e.message)
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, message))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::ConstraintViolation
                        | rusqlite::ErrorCode::TypeMismatch
                        | rusqlite::ErrorCode::TooBig
                ) =>
            {
                message.clone().unwrap_or_else(|| e.to_string())
            }
            _ => return None,
        };
        // The message names a column or a constraint; rows hold no raw address to leak.
        let cut = crate::domain::widths::fit(&message, REASON_CHARS);
        Some(format!(
            "the database refused a value of this batch ({cut})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::failure::server_error;

    fn mysql(code: u16) -> StoreError {
        server_error(
            code,
            "Data too long for column 'user_agent' at row 1",
            "22001",
        )
    }

    fn sqlite(code: i32) -> StoreError {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            Some("refused".into()),
        ))
    }

    #[test]
    fn data_errors_are_refusals_and_outages_are_not() {
        let refused = mysql(1406).refused_value().expect("a refusal");
        assert!(refused.contains("user_agent"), "{refused}");
        assert!(mysql(4025).refused_value().is_some());
        for outage in [1205, 1213, 2013, 1047] {
            assert_eq!(mysql(outage).refused_value(), None, "{outage}");
        }
        assert!(sqlite(rusqlite::ffi::SQLITE_CONSTRAINT)
            .refused_value()
            .is_some());
        assert_eq!(sqlite(rusqlite::ffi::SQLITE_BUSY).refused_value(), None);
        assert_eq!(sqlite(rusqlite::ffi::SQLITE_FULL).refused_value(), None);
        assert_eq!(
            StoreError::Setup("no database".into()).refused_value(),
            None
        );
    }
}

//! Reading a SQLite store the way `TestDb` reads MariaDB.
//!
//! mysql_async queries MariaDB over the text protocol, which hands every non-NULL value over as
//! text (`Value::Bytes`). SQLite values are converted the same way (an INTEGER 42 becomes the text
//! "42", a REAL its shortest decimal text, a BLOB its bytes), so `FromValue` parses one store's
//! answer exactly as the other's: u64 from "42", f64 from "300", NaiveDateTime from
//! "2026-11-28 12:00:00.200", NaiveDate from "2026-11-28".

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mysql_async::{Row, Value};
use mysql_common::constants::ColumnType;
use mysql_common::packets::Column;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// Opens an existing file (never creates one: that is the aggregator's job, and a test reading
/// before it ran should fail loudly rather than leave an empty file behind).
pub fn open(path: &Path) -> Connection {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    // The aggregator may hold the write lock for a commit; wait for it like a MariaDB client would.
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn
}

pub async fn rows(path: &Path, sql: &str) -> Vec<Row> {
    let (path, sql) = (path.to_path_buf(), sql.to_string());
    blocking(move || query(&path, &sql)).await
}

pub async fn execute(path: &Path, sql: &str) {
    let (path, sql) = (path.to_path_buf(), sql.to_string());
    blocking(move || {
        open(&path)
            .execute_batch(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
    .await
}

/// SQLite calls block (on the busy timeout, at worst): off the test's async thread, so the
/// aggregator running in the same runtime goes on meanwhile.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .expect("the SQLite query did not panic")
}

fn query(path: &Path, sql: &str) -> Vec<Row> {
    let conn = open(path);
    let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let columns: Arc<[Column]> = statement
        .column_names()
        .map(|name| Column::new(ColumnType::MYSQL_TYPE_VAR_STRING).with_name(name.as_bytes()))
        .collect();
    let mut found = statement.query([]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows = Vec::new();
    while let Some(row) = found.next().unwrap_or_else(|e| panic!("{sql}: {e}")) {
        let values = (0..columns.len())
            .map(|i| as_text_protocol(row.get_ref(i).unwrap()))
            .collect();
        rows.push(mysql_common::row::new_row(values, columns.clone()));
    }
    rows
}

fn as_text_protocol(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::NULL,
        ValueRef::Integer(i) => Value::Bytes(i.to_string().into_bytes()),
        ValueRef::Real(r) => Value::Bytes(r.to_string().into_bytes()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime};

    use crate::{StoreKind, TestDb};

    #[tokio::test]
    async fn sqlite_values_convert_like_mariadb_text_values() {
        for kind in StoreKind::ALL {
            let db = TestDb::create(kind).await;
            if kind == StoreKind::Sqlite {
                // Stands for the aggregator creating its file.
                rusqlite::Connection::open(db.sqlite_path()).unwrap();
            }
            db.execute(
                "CREATE TABLE t (n BIGINT, r DOUBLE, d DATE, ts DATETIME(3), s TEXT, z TEXT, b BINARY(2))",
            )
            .await;
            db.execute(
                "INSERT INTO t VALUES (42, 300, '2026-11-28', '2026-11-28 12:00:00.200', 'x', NULL, 'ab')",
            )
            .await;
            let row = db
                .rows("SELECT n, r, d, ts, s, z, b FROM t")
                .await
                .remove(0);
            assert_eq!(row.get::<u64, _>(0), Some(42), "{kind:?}");
            assert_eq!(row.get::<f64, _>(1), Some(300.0), "{kind:?}");
            assert_eq!(
                row.get::<NaiveDate, _>(2),
                NaiveDate::from_ymd_opt(2026, 11, 28),
                "{kind:?}"
            );
            let ts: NaiveDateTime = row.get("ts").unwrap();
            assert_eq!(ts.to_string(), "2026-11-28 12:00:00.200", "{kind:?}");
            let row = db.rows("SELECT s, z, b FROM t").await.remove(0);
            let (s, z, b): (String, Option<String>, Vec<u8>) = mysql_async::from_row(row);
            assert_eq!((s.as_str(), z, b.as_slice()), ("x", None, &b"ab"[..]));
            assert_eq!(db.count("t WHERE n > 40").await, 1, "{kind:?}");
            assert_eq!(db.scalar::<String>("SELECT s FROM t").await, "x");
            let dump = db.dump().await;
            assert!(dump.contains("t 42 300 2026-11-28"), "{kind:?}: {dump}");
        }
    }
}

//! One database per test, dropped when the test ends (even when it fails). The server is
//! MYSQL_TEST_URL, default mysql://root@127.0.0.1:3306.

use mysql_async::prelude::Queryable;
use mysql_async::{Pool, Row, Value};

pub fn server_url() -> String {
    std::env::var("MYSQL_TEST_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into())
}

pub struct TestDb {
    pub name: String,
    pub server: String,
    pub pool: Pool,
}

impl TestDb {
    pub async fn create() -> TestDb {
        Self::create_on(&server_url()).await
    }

    pub async fn create_on(server: &str) -> TestDb {
        let name = format!("usage_test_{}", hex::encode(rand::random::<[u8; 6]>()));
        let admin = Pool::new(server);
        let mut conn = admin
            .get_conn()
            .await
            .expect("the test MariaDB server answers");
        conn.query_drop(format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(conn);
        admin.disconnect().await.unwrap();
        let pool = Pool::new(format!("{server}/{name}").as_str());
        TestDb {
            name,
            server: server.to_string(),
            pool,
        }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    pub async fn rows(&self, sql: &str) -> Vec<Row> {
        self.pool
            .get_conn()
            .await
            .unwrap()
            .query(sql)
            .await
            .unwrap()
    }

    /// `SELECT COUNT(*) FROM {from}`: a table, or a table with a WHERE clause.
    pub async fn count(&self, from: &str) -> u64 {
        let n: Option<u64> = self
            .pool
            .get_conn()
            .await
            .unwrap()
            .query_first(format!("SELECT COUNT(*) FROM {from}"))
            .await
            .unwrap();
        n.unwrap_or(0)
    }

    /// Every value of every table and view, as text, for searching.
    pub async fn dump(&self) -> String {
        dump_all_tables(self).await
    }

    pub async fn scalar<T: mysql_async::prelude::FromValue + Send + 'static>(
        &self,
        sql: &str,
    ) -> T {
        let v: Option<T> = self
            .pool
            .get_conn()
            .await
            .unwrap()
            .query_first(sql)
            .await
            .unwrap();
        v.expect("one row")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop may run inside a runtime: do the async cleanup on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let pool = Pool::new(server.as_str());
                if let Ok(mut conn) = pool.get_conn().await {
                    let _ = conn
                        .query_drop(format!("DROP DATABASE IF EXISTS {name}"))
                        .await;
                }
                let _ = pool.disconnect().await;
            });
        })
        .join();
    }
}

/// Every value of every table and view, as text, for searching.
pub async fn dump_all_tables(db: &TestDb) -> String {
    let mut conn = db.pool.get_conn().await.unwrap();
    let tables: Vec<String> = conn
        .query("SHOW FULL TABLES")
        .await
        .unwrap()
        .into_iter()
        .map(|row: Row| row.get::<String, _>(0).unwrap())
        .collect();
    let mut dump = String::new();
    for table in tables {
        let rows: Vec<Row> = conn
            .query(format!("SELECT * FROM `{table}`"))
            .await
            .unwrap();
        for row in rows {
            dump.push_str(&table);
            for value in row.unwrap() {
                dump.push(' ');
                match value {
                    Value::Bytes(bytes) => dump.push_str(&String::from_utf8_lossy(&bytes)),
                    other => dump.push_str(&other.as_sql(true)),
                }
            }
            dump.push('\n');
        }
    }
    dump
}

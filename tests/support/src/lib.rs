//! Test support shared by every test suite of the workspace: a database created for one test and
//! removed with it, on MariaDB or SQLite (the aggregator's two stores), and a MariaDB server of a
//! test's own that it may kill and restart (plain or with TLS), a three-node Galera cluster, nginx
//! and Prometheus on loopback.

mod db;
mod galera;
mod mariadb;
mod nginx;
mod ports;
mod prometheus;
mod sqlite;
mod tls;

pub use db::{dump_all_tables, server_url, StoreKind, TestDb};
pub use galera::GaleraCluster;
pub use mariadb::ThrowawayMariaDb;
pub use nginx::Nginx;
pub use ports::free_port;
pub use prometheus::ThrowawayPrometheus;
pub use tls::TestCa;
// For tests that talk to a SQLite store themselves (the same rusqlite as the aggregator's).
pub use rusqlite;

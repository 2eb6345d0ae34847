//! Test support shared by every test suite of the workspace: a MariaDB database created for one
//! test and dropped with it, and a MariaDB server of a test's own that it may kill and restart.

mod db;
mod mariadb;

pub use db::{dump_all_tables, server_url, TestDb};
pub use mariadb::ThrowawayMariaDb;

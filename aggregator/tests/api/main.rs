//! Integration tests: the real aggregator on port 0 against a real MariaDB database created for
//! each test (MYSQL_TEST_URL, default mysql://root@127.0.0.1:3306).

mod helpers;

mod adoption;
mod bad_input;
mod outage;
mod privacy;
mod reports;
mod sessions;
mod startup;
mod stats_api;
mod writer;

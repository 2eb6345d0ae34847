//! Integration tests: the real aggregator on port 0 against a real database created for each test,
//! on each of its stores: MariaDB (MYSQL_TEST_URL, default mysql://root@127.0.0.1:3306) and a
//! SQLite file. Most tests run on both (`both_stores!`); the few that are MySQL-only say why.

mod helpers;

mod adoption;
mod adoption_both_stores;
mod automation;
mod bad_input;
mod bounded;
mod check_config;
mod client_files;
mod compare;
mod consent_exemption;
mod errors;
mod event_summaries;
mod export;
mod feature_data;
mod fits;
mod fuzz;
mod hourly;
mod incremental_rollup;
mod isolation;
mod journal;
mod journey;
mod leaks;
mod live_days;
mod live_now;
mod local_days;
mod lock_out;
mod mcp;
mod metrics;
mod openapi;
mod outage;
mod per_site;
mod privacy;
mod prometheus;
mod rate_limits;
mod reports;
mod run_counters;
mod security_headers;
mod server_batches;
mod sessions;
mod site_zones;
mod sockets;
mod start_waiting;
mod startup;
mod stats_api;
mod summary_texts;
mod time;
mod tls;
mod upgrades;
mod writer;

//! End-to-end harness: a fresh database (MariaDB or SQLite), the real aggregator serving `www/` and the built
//! client on a free port, and headless Chromium driven over WebDriver (chromedriver).

pub mod axe;
pub mod binary;
pub mod browser;
pub mod dashboard;
pub mod ide;
pub mod stack;

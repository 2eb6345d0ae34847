//! Test support: the app in-process with a hand-moved clock, the real binary as a child process
//! (for its logs), and session builders; databases and servers come from `usage-test-support`.

#![allow(dead_code)]

pub mod events;
pub mod server;

pub use events::SessionScript;
pub use server::{BinaryApp, TestApp};
pub use usage_test_support::{dump_all_tables, TestDb, ThrowawayMariaDb};

//! Test support: a database per test, the app in-process with a hand-moved clock, the real binary
//! as a child process (for its logs), a throwaway MariaDB server, and session builders.

#![allow(dead_code)]

pub mod db;
pub mod events;
pub mod mariadb;
pub mod server;

pub use db::{dump_all_tables, TestDb};
pub use events::SessionScript;
pub use server::{BinaryApp, TestApp};

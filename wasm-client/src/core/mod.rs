//! Everything that needs no browser: settings, events and their JSON, the queue and its storage
//! format, backoff, sessions, and the tracker state machine. Unit-tested natively with `cargo test`.

pub mod backoff;
pub mod config;
pub mod event;
pub mod json;
pub mod queue;
pub mod session;
pub mod tracker;

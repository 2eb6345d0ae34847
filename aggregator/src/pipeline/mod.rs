//! From accepted requests to committed rows: the writer task that gathers many requests into one
//! flush ([`crate::domain::flush`], pure), commits it and acknowledges the requests.

pub mod isolate;
pub mod writer;

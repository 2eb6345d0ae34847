//! From accepted requests to committed rows: gathering many requests into one flush (pure) and
//! the writer task that commits flushes and acknowledges requests.

pub mod batch;
pub mod isolate;
pub mod writer;

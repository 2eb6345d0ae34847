//! Pure logic of the product: parsing and validating batches, reducing user agents, deriving
//! sessions from cumulative heartbeats. Nothing here does I/O.

pub mod agent;
pub mod event;
#[cfg(test)]
mod event_props;
pub mod ingest;
pub mod session;
pub mod widths;

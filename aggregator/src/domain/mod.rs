//! Pure logic of the product: parsing and validating batches, reducing user agents, deriving
//! sessions from cumulative heartbeats, gathering a flush, the data of reports. Nothing here does
//! I/O, and nothing here imports another top-level module: every other layer may import it.

pub mod agent;
pub mod event;
#[cfg(test)]
mod event_props;
pub mod filter;
pub mod flush;
pub mod ingest;
pub mod journal;
pub mod new_sites;
pub mod report;
pub mod session;
pub mod site_zones;
pub mod widths;
pub mod zone;

//! The data of reports, below both the stores that read it and the reports that shape it: date
//! ranges, site ids, the rows a store reads and the API serves, and a day's summary arithmetic.
//! Each report has its module here, with its answer, the pure fold that makes it and its CSV
//! table: `daily`, `sessions`, `features`, `feature_data`, `programs`, `errors`, `clients`,
//! `hourly`, `time`, `journey`, `funnel` and `now` (the live view); its namesake in `crate::report` reads it through the store.

pub mod clients;
pub mod csv;
pub mod daily;
pub mod dates;
pub mod errors;
pub mod feature_data;
pub mod features;
pub mod filtered;
pub mod funnel;
pub mod hourly;
pub mod journey;
pub mod model;
pub mod now;
pub mod programs;
pub mod sessions;
pub mod shape;
pub mod site;
pub mod summary;
pub mod time;
pub mod top;

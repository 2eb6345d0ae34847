//! The data of reports, below both the stores that read it and the reports that shape it: date
//! ranges, site ids, the rows a store reads and the API serves, and a day's summary arithmetic.

pub mod dates;
pub mod errors;
pub mod model;
pub mod site;
pub mod summary;
pub mod top;

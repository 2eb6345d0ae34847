//! Browser glue, kept thin: the runtime (timers, page lifecycle, input listeners), storage and
//! clock wrappers, the fetch/beacon transport, and reading options and call arguments from JS.

pub mod args;
pub mod env;
pub mod options;
pub mod persist;
pub mod runtime;
pub mod timers;
pub mod transport;

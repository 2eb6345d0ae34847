//! Browser glue, kept thin: the runtime (timers, page lifecycle, input listeners), storage and
//! clock wrappers, the fetch/beacon transport, and reading options and call arguments from JS.
//! Every browser call goes through `io` (web-sys and js-sys).

pub mod args;
pub mod env;
pub mod io;
pub mod options;
pub mod persist;
pub mod privacy;
pub mod runtime;
pub mod timers;
pub mod transport;

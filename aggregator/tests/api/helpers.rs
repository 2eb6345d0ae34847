//! Test support: the app in-process with a hand-moved clock, the real binary as a child process
//! (for its logs), and session builders; databases and servers come from `usage-test-support`.

#![allow(dead_code)]

pub mod events;
pub mod server;

pub use events::SessionScript;
pub use server::{run_command, BinaryApp, TestApp};
pub use usage_test_support::{dump_all_tables, rusqlite, StoreKind, TestDb, ThrowawayMariaDb};

/// Runs a test once on each store, so that any difference between them fails a test. Next to
/// `async fn name(kind: StoreKind)`, `both_stores!(name);` makes the tests `name::mysql` and
/// `name::sqlite` (`cargo test sqlite` runs one store's). The body stays an ordinary function,
/// which rustfmt formats and compiler errors point into.
macro_rules! both_stores {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            use $crate::helpers::StoreKind;

            #[tokio::test]
            async fn mysql() {
                super::$name(StoreKind::MySql).await
            }

            #[tokio::test]
            async fn sqlite() {
                super::$name(StoreKind::Sqlite).await
            }
        }
    )+};
}
pub(crate) use both_stores;

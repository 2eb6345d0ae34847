//! A misconfigured or unreachable database stops the start with advice, never a silent disable.

use std::process::Command;

use crate::helpers::{both_stores, rusqlite, BinaryApp, StoreKind, TestDb};

fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .env_clear()
        .env("USAGE_LISTEN", "127.0.0.1:0")
        // These tests are about the advice; waiting for the database has its own (start_waiting).
        .env("USAGE_DATABASE_WAIT_SECS", "0")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// MySQL URLs (but for one of another scheme): the advice is about how a MySQL server refuses
// (unreachable, credentials, no such database); a SQLite file's failures are the next test.
#[test]
fn an_unreachable_or_misconfigured_database_is_a_clear_error() {
    let cases = [
        ("mysql://root@127.0.0.1:1/usage", "cannot be reached"),
        (
            "mysql://nobody:wrong@127.0.0.1:3306/usage",
            "user or password is wrong",
        ),
        (
            "mysql://root@127.0.0.1:3306/no_such_database_here",
            "does not exist",
        ),
        // Names both stores' URL forms.
        ("postgres://x", "unsupported database URL scheme"),
        ("postgres://x", "sqlite:<path>"),
    ];
    for (url, advice) in cases {
        let (ok, stderr) = run_to_exit(&["serve"], &[("USAGE_DATABASE_URL", url)]);
        assert!(!ok, "{url}: must not start");
        assert!(
            stderr.contains(advice),
            "{url}: expected {advice:?} in:\n{stderr}"
        );
        assert!(
            !stderr.contains("wrong@"),
            "no password in the message: {stderr}"
        );
        // What it was doing, and where, comes first (the password masked).
        let shown = url.replace("nobody:wrong@", "nobody:***@");
        assert!(
            stderr.contains(&format!("opening the database at {shown}")),
            "{url}: expected what failed in:\n{stderr}"
        );
    }
    let (ok, stderr) = run_to_exit(
        &["migrate"],
        &[(
            "USAGE_DATABASE_URL",
            "mysql://nobody:wrong@127.0.0.1:3306/usage",
        )],
    );
    assert!(!ok, "migrate must fail");
    assert!(
        stderr.contains("opening the database at mysql://nobody:***@127.0.0.1:3306/usage")
            && stderr.contains("user or password is wrong"),
        "migrate says what failed: {stderr}"
    );
}

#[test]
fn an_unusable_sqlite_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the database's folder should be: nothing can be created under it.
    let not_a_folder = dir.path().join("not-a-folder");
    std::fs::write(&not_a_folder, "a file").unwrap();
    let corrupt = dir.path().join("corrupt.sqlite3");
    std::fs::write(&corrupt, "this is not a SQLite database ".repeat(100)).unwrap();
    for path in [not_a_folder.join("usage.sqlite3"), corrupt.clone()] {
        let url = format!("sqlite:{}", path.display());
        let (ok, stderr) = run_to_exit(&["serve"], &[("USAGE_DATABASE_URL", &url)]);
        assert!(!ok, "{url}: must not start");
        assert!(
            stderr.contains(&path.display().to_string()),
            "{url}: the message names the file:\n{stderr}"
        );
        assert!(
            !stderr.contains("panicked"),
            "an error, not a crash: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&corrupt).unwrap(),
        "this is not a SQLite database ".repeat(100),
        "a file that is not a database is left as it was"
    );
}

#[test]
fn without_a_database_url_serve_keeps_its_data_in_usage_sqlite3_in_the_working_folder() {
    let dir = tempfile::tempdir().unwrap();
    let app = BinaryApp::spawn_in(dir.path(), &[]);
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
    let conn = rusqlite::Connection::open(dir.path().join("usage.sqlite3")).unwrap();
    let migrated: u64 = conn
        .query_row("SELECT COUNT(*) FROM ide_sessions", [], |row| row.get(0))
        .expect("the default database is migrated");
    assert_eq!(migrated, 0);
}

#[test]
fn a_disabled_legacy_config_refuses_to_serve_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    let json = r#"{"usage_tracking": {"enabled": false, "mysql": {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "x"}}}"#;
    std::fs::write(&path, json).unwrap();
    let (ok, stderr) = run_to_exit(&["--legacy-config", path.to_str().unwrap(), "serve"], &[]);
    assert!(!ok && stderr.contains("disabled"), "{stderr}");
}

both_stores!(migrate_applies_the_schema_once);
async fn migrate_applies_the_schema_once(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let (ok, stderr) = run_to_exit(&["migrate"], &[("USAGE_DATABASE_URL", &url)]);
    assert!(ok, "{stderr}");
    assert!(db.count("refinery_schema_history").await >= 2);
    let before = db.count("refinery_schema_history").await;
    let (ok, stderr) = run_to_exit(&["migrate"], &[("USAGE_DATABASE_URL", &url)]);
    assert!(ok, "{stderr}");
    assert_eq!(
        db.count("refinery_schema_history").await,
        before,
        "a second run applies nothing"
    );
}

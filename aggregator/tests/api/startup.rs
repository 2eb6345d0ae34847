//! A misconfigured or unreachable database stops the start with advice, never a silent disable.

use std::process::Command;

use crate::helpers::TestDb;

fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .env_clear()
        .env("USAGE_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

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
        ("postgres://x", "not valid"),
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
    }
    let (ok, stderr) = run_to_exit(&["serve"], &[]);
    assert!(!ok && stderr.contains("USAGE_DATABASE_URL"), "{stderr}");
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

#[tokio::test]
async fn migrate_applies_the_schema_once() {
    let db = TestDb::create().await;
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

//! Production connections against a real server: a throwaway MariaDB with a certificate signed
//! by a CA of the test's own and `--require-secure-transport=ON` (as a managed MySQL requires
//! TLS). The right CA connects, a wrong CA is refused naming the certificate problem, a plain
//! connection is refused; and a Unix socket (which such a server accepts as secure) connects,
//! from the legacy JSON's `unix_socket` key and from the URL's `?socket=` form.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use usage_test_support::TestCa;

use crate::helpers::ThrowawayMariaDb;

/// Runs the binary; a child still running after a minute is killed and fails the test.
fn run(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .env_clear()
        .env("USAGE_LISTEN", "127.0.0.1:0")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} {env:?}: still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn tls_with_the_providers_ca_and_unix_sockets() {
    let ca = TestCa::new("usage test CA");
    let wrong = TestCa::new("some other CA");
    let mut options = ca.server_options();
    options.push("--innodb-buffer-pool-size=32M".into());
    let server = ThrowawayMariaDb::try_start(&options).await.unwrap();
    let pool = mysql_async::Pool::new(
        format!("{}?require_ssl=true&verify_ca=false", server.url()).as_str(),
    );
    let mut conn = pool.get_conn().await.unwrap();
    conn.query_drop("CREATE DATABASE usage_tls").await.unwrap();
    drop(conn);
    pool.disconnect().await.unwrap();
    let url = format!("{}/usage_tls", server.url());
    let ca_path = ca.ca().display().to_string();

    // The right CA: TLS, verified, the server's name (127.0.0.1) matching its certificate.
    let (ok, log) = run(
        &["migrate"],
        &[("USAGE_DATABASE_URL", &url), ("USAGE_SSL_CA", &ca_path)],
    );
    assert!(ok, "the right CA connects: {log}");

    // The legacy JSON's "ssl": true beside "ssl_ca".
    let dir = tempfile::tempdir().unwrap();
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    let legacy = dir.path().join("config.json");
    std::fs::write(
        &legacy,
        serde_json::json!({"usage_tracking": {"enabled": true, "mysql": {
            "host": "127.0.0.1", "port": port, "user": "root", "password": "",
            "database": "usage_tls", "ssl": true, "ssl_ca": "${CA_FILE}"}}})
        .to_string(),
    )
    .unwrap();
    let legacy_arg = legacy.display().to_string();
    let (ok, log) = run(
        &["--legacy-config", &legacy_arg, "migrate"],
        &[("CA_FILE", &ca_path)],
    );
    assert!(ok, "the legacy JSON's ssl_ca connects: {log}");

    // A CA that did not sign the server's certificate: refused at once, even by `serve` with a
    // long wait, and the message names the certificate problem.
    let wrong_path = wrong.ca().display().to_string();
    for command in ["migrate", "serve"] {
        let (ok, log) = run(
            &[command],
            &[
                ("USAGE_DATABASE_URL", &url),
                ("USAGE_SSL_CA", &wrong_path),
                ("USAGE_DATABASE_WAIT_SECS", "600"),
            ],
        );
        assert!(!ok, "{command}: a wrong CA must not connect: {log}");
        assert!(log.contains("certificate"), "{command}: {log}");
        assert!(
            log.contains("UnknownIssuer"),
            "{command}: the problem itself: {log}"
        );
    }

    // Plain TCP: the server refuses it, and the advice says TLS is required.
    let (ok, log) = run(
        &["migrate"],
        &[
            ("USAGE_DATABASE_URL", &url),
            ("USAGE_DATABASE_WAIT_SECS", "0"),
        ],
    );
    assert!(!ok, "a plain connection is refused: {log}");
    assert!(log.contains("the server requires TLS"), "{log}");

    // A Unix socket counts as secure transport: it connects without TLS, so these connections
    // went over the socket (TCP without TLS was just refused).
    let socket = server.socket().display().to_string();
    std::fs::write(
        &legacy,
        serde_json::json!({"usage_tracking": {"enabled": true, "mysql": {
            "host": "localhost", "user": "root", "password": "",
            "database": "usage_tls", "unix_socket": socket}}})
        .to_string(),
    )
    .unwrap();
    let (ok, log) = run(&["--legacy-config", &legacy_arg, "migrate"], &[]);
    assert!(ok, "the legacy JSON's unix_socket connects: {log}");
    let socket_url = format!("mysql://root@localhost/usage_tls?socket={socket}");
    let (ok, log) = run(&["stats"], &[("USAGE_DATABASE_URL", &socket_url)]);
    assert!(ok, "the URL's ?socket= connects: {log}");
}

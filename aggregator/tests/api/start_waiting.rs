//! Starting beside the database: with MySQL unreachable at start, `serve` waits for it (bounded
//! by USAGE_DATABASE_WAIT_SECS), alive on /healthz and saying why on /readyz, then ingests once
//! it answers; past the bound it exits with the usual advice. What waiting cannot fix fails at
//! once. (MySQL only: a SQLite file opens or fails at once, there is nothing to wait for.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::helpers::{BinaryApp, SessionScript, ThrowawayMariaDb};

fn free_port() -> u16 {
    usage_test_support::free_port().unwrap()
}

async fn get(address: &str, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{address}{path}")).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post(address: &str, body: &serde_json::Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{address}/api/v1/events"))
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn serve_waits_for_a_database_that_comes_up_later_then_ingests() {
    // A server with the database created, stopped; it comes back later on the port the
    // aggregator is already trying.
    let mut server = ThrowawayMariaDb::start().await;
    let pool = mysql_async::Pool::new(server.url().as_str());
    let mut conn = pool.get_conn().await.unwrap();
    for statement in [
        "CREATE DATABASE usage_late",
        "CREATE USER tracker@'%' IDENTIFIED BY 'a-secret-password-9876'",
        "GRANT ALL ON usage_late.* TO tracker@'%'",
    ] {
        conn.query_drop(statement).await.unwrap();
    }
    drop(conn);
    pool.disconnect().await.unwrap();
    server.kill();
    let port = free_port();
    let url = format!("mysql://tracker:a-secret-password-9876@127.0.0.1:{port}/usage_late");
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_DATABASE_WAIT_SECS", "300"),
    ]);

    assert_eq!(
        get(&app.address, "/healthz").await.0,
        200,
        "alive while waiting"
    );
    let (status, body) = get(&app.address, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    // Anyone may ask /readyz: it names neither the account, the host, the port nor the
    // database (the log does, for the operator).
    let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        readiness,
        serde_json::json!({"status": "not ready", "reason": "waiting for the database"}),
        "{body}"
    );
    let mut script = SessionScript::new();
    let start = script.start(0.5);
    let batch = script.batch(1.0, vec![start]);
    let refused = post(&app.address, &batch).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    let (status, metrics) = get(&app.address, "/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("usage_database_available 0"), "{metrics}");
    assert!(
        metrics.contains(r#"usage_requests_rejected_total{reason="starting"} 1"#),
        "{metrics}"
    );

    server.move_to(port).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (status, body) = get(&app.address, "/readyz").await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "never ready: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(post(&app.address, &batch).await.status(), 200);
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("the database cannot be reached yet"), "{log}");
    assert!(
        log.contains(&format!("tracker@127.0.0.1:{port}/usage_late"))
            && log.contains("cannot be reached"),
        "the detail is in the log: {log}"
    );
    assert!(log.contains("the database answers"), "{log}");
    assert!(
        !log.contains("a-secret-password"),
        "no password logged:\n{log}"
    );

    let pool = mysql_async::Pool::new(url.as_str());
    let mut conn = pool.get_conn().await.unwrap();
    let sessions: Option<u64> = conn
        .query_first("SELECT COUNT(*) FROM ide_sessions")
        .await
        .unwrap();
    assert_eq!(
        sessions,
        Some(1),
        "the batch posted after the wait is stored"
    );
    drop(conn);
    pool.disconnect().await.unwrap();
}

#[test]
fn past_its_bound_serve_exits_with_the_usual_advice() {
    let port = free_port();
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .arg("serve")
        .env_clear()
        .env("USAGE_LISTEN", "127.0.0.1:0")
        .env(
            "USAGE_DATABASE_URL",
            format!("mysql://root:hidden-pw@127.0.0.1:{port}/usage"),
        )
        .env("USAGE_DATABASE_WAIT_SECS", "2")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("cannot be reached"), "{stdout}{stderr}");
    assert!(
        stderr.contains("gave up after waiting 2 s"),
        "{stdout}{stderr}"
    );
    assert!(
        stderr.contains("attempt=2"),
        "each attempt is logged: {stderr}"
    );
    assert!(!format!("{stdout}{stderr}").contains("hidden-pw"));
}

/// With a wait of ten minutes, what waiting cannot fix still ends the start: the child is
/// killed (and the test fails) if it is still running after a minute.
#[test]
fn credentials_an_unknown_database_or_a_bad_url_fail_at_once_whatever_the_wait() {
    for (url, advice) in [
        (
            "mysql://nobody:wrong@127.0.0.1:3306/usage",
            "user or password is wrong",
        ),
        (
            "mysql://root@127.0.0.1:3306/no_such_database_here",
            "does not exist",
        ),
        ("mysql://root@127.0.0.1:99999/usage", "not valid"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
            .arg("serve")
            .env_clear()
            .env("USAGE_LISTEN", "127.0.0.1:0")
            .env("USAGE_DATABASE_URL", url)
            .env("USAGE_DATABASE_WAIT_SECS", "600")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{url}: still waiting after a minute");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert!(!status.success(), "{url}");
        assert!(stderr.contains(advice), "{url}: {advice:?} in {stderr}");
    }
}

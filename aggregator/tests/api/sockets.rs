//! Deadlines and caps at the socket: slow clients are cut off, connections over the cap are
//! answered 503 without starving the listener, and an announced oversized body gets a 413 the
//! client can read, before the body is sent. Raw TCP, to send exactly what a hostile client does.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

/// How long a test waits for the server to act before it fails (a deadline, never a measure).
const PATIENCE: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.unwrap()
}

/// Everything the server sends until it closes the connection.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .unwrap_or_default();
    String::from_utf8_lossy(&answer).into_owned()
}

/// The start of the first answer on the connection (enough for its status line).
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(PATIENCE, stream.read(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

both_stores!(half_sent_headers_and_idle_connections_are_closed);
async fn half_sent_headers_and_idle_connections_are_closed(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| c.limits.header_timeout_secs = 1).await;
    let mut slow = connect(&app).await;
    slow.write_all(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nUser-Ag")
        .await
        .unwrap();
    let answer = read_to_close(&mut slow).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    let mut idle = connect(&app).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_close(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "served first: {answer}");
}

both_stores!(a_body_sent_too_slowly_gets_408);
async fn a_body_sent_too_slowly_gets_408(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| c.limits.body_timeout_secs = 1).await;
    let mut slow = connect(&app).await;
    let head = "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
                Content-Length: 100\r\n\r\n{\"site\":";
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(app.db.count("ide_sessions").await, 0);
}

both_stores!(connections_over_the_cap_get_503_and_the_listener_recovers);
async fn connections_over_the_cap_get_503_and_the_listener_recovers(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| c.limits.max_connections = 4).await;
    let mut holders = Vec::new();
    for _ in 0..4 {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        holders.push(stream);
    }
    // The accept loop takes connections in order: the fifth is over the cap.
    let mut over = connect(&app).await;
    let answer = read_to_close(&mut over).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after"), "{answer}");
    drop(holders);
    let recovered = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Ok(response) = app
                .http
                .get(format!("{}/healthz", app.address))
                .send()
                .await
            {
                if response.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(recovered.is_ok(), "normal requests are served again");
}

both_stores!(an_announced_oversized_body_gets_a_readable_413_before_it_is_sent);
async fn an_announced_oversized_body_gets_a_readable_413_before_it_is_sent(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    // Headers only: the answer comes without a byte of the body.
    let mut early = connect(&app).await;
    let head = "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
                Content-Length: 10000000\r\n\r\n";
    early.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut early).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // A client that sends its whole body first (as fetch does) still reads the 413.
    let mut script = SessionScript::new();
    let start = script.start(0.0);
    let mut batch = script.batch(1.0, vec![start]);
    batch["padding"] = "x".repeat(512 * 1024).into();
    let response = app
        .http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", "text/plain")
        .body(batch.to_string())
        .send()
        .await
        .expect("the answer is readable, not a reset");
    assert_eq!(response.status(), 413);
    assert_eq!(app.db.count("ide_sessions").await, 0);
}

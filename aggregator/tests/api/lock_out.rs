//! No client holds what others need: one address holding more idle sockets than the whole
//! connection cap leaves the others served, a connection that sends nothing is closed long before
//! the header deadline, and a client over its rate limit reads every 429 on its keep-alive
//! connection. The aggregator holding sockets runs as its own process (its descriptors apart from
//! the test's); other clients come from other loopback addresses (Linux routes all of
//! 127.0.0.0/8 to `lo`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestApp, TestDb};

/// How long a test waits for the server to act before it fails (a deadline, never a measure).
const PATIENCE: Duration = Duration::from_secs(30);

fn socket_address(app: &BinaryApp) -> SocketAddr {
    app.address.trim_start_matches("http://").parse().unwrap()
}

/// A connection from the loopback address `from`.
async fn connect_from(from: &str, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(to).await.unwrap()
}

both_stores!(one_address_holding_800_idle_sockets_locks_nobody_out);
async fn one_address_holding_800_idle_sockets_locks_nobody_out(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    // The defaults: 768 connections at most; silent ones would be held for the 60 s header
    // deadline without a shorter wait for the first byte.
    let app = BinaryApp::spawn(&[("USAGE_DATABASE_URL", &url), ("USAGE_LOG", "info")]);
    let to = socket_address(&app);
    let mut idle = Vec::new();
    for _ in 0..800 {
        idle.push(connect_from("127.0.0.1", to).await);
    }
    // The listener takes connections in order: each of these comes after the 800.
    let other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<IpAddr>().unwrap())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let response = other
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .expect("the other client is answered");
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.iter().all(|&s| s == 200),
        "another client is served while one address holds 800 sockets: {statuses:?}"
    );
    drop(idle);
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
}

both_stores!(a_connection_that_sends_nothing_is_closed_before_the_header_deadline);
async fn a_connection_that_sends_nothing_is_closed_before_the_header_deadline(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_LOG", "info"),
        // Only the first-byte wait can close the silent connection within the test's patience.
        ("USAGE_HEADER_TIMEOUT_SECS", "600"),
        ("USAGE_FIRST_BYTE_TIMEOUT_SECS", "1"),
    ]);
    let to = socket_address(&app);
    let mut silent = connect_from("127.0.0.1", to).await;
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, silent.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "the silent connection is closed");
    assert!(answer.is_empty(), "closed unanswered: it asked nothing");
    // A client that does send is served as before, however slowly it goes on.
    let mut prompt = connect_from("127.0.0.1", to).await;
    prompt
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    prompt.write_all(b"Host: x\r\n\r\n").await.unwrap();
    let mut head = [0u8; 64];
    let n = tokio::time::timeout(PATIENCE, prompt.read(&mut head))
        .await
        .expect("answered")
        .unwrap();
    let head = String::from_utf8_lossy(&head[..n]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    app.stop();
}

/// One answer read off `stream`: its status, and whether the server said it closes.
async fn read_response(stream: &mut TcpStream) -> Result<(u16, bool), String> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .map_err(|_| "no answer".to_string())?
            .map_err(|e| format!("read failed: {e}"))?;
        if n == 0 {
            return Err(format!(
                "closed before an answer ({} bytes read)",
                data.len()
            ));
        }
        data.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let status = head[9..12].parse().map_err(|_| head.clone())?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while data.len() < head_end + length {
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed within the body".into());
        }
        data.extend_from_slice(&chunk[..n]);
    }
    Ok((status, head.contains("connection: close")))
}

both_stores!(a_client_over_its_rate_limit_reads_every_429_on_keep_alive);
async fn a_client_over_its_rate_limit_reads_every_429_on_keep_alive(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.limits.ingest_per_client_per_minute = 1;
        c.limits.ingest_client_burst = 5;
    })
    .await;
    let to: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    // A batch padded to 48 KiB (under the 64 KiB limit), so that a body is still arriving when a
    // 429 is answered before reading it.
    let mut script = SessionScript::new();
    let start = script.start(0.0);
    let mut batch = script.batch(1.0, vec![start]);
    batch["padding"] = "x".repeat(48 * 1024).into();
    let body = batch.to_string();
    let request = format!(
        "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = connect_from("127.0.0.1", to).await;
    let (mut limited, mut reconnects) = (0, 0);
    for i in 0..300 {
        // Written in two parts, as a slow link delivers it.
        let (head, rest) = request.split_at(request.len() / 2);
        let sent = async {
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(rest.as_bytes()).await
        };
        let answer = match sent.await {
            Ok(()) => read_response(&mut stream).await,
            Err(e) => Err(format!("write failed: {e}")),
        };
        let (status, closes) = answer.unwrap_or_else(|e| {
            panic!("request {i} ({limited} answered 429 so far) got no readable answer: {e}")
        });
        assert!([200, 429].contains(&status), "request {i}: {status}");
        limited += usize::from(status == 429);
        if closes {
            // Told so: a keep-alive client reconnects cleanly.
            stream = connect_from("127.0.0.1", to).await;
            reconnects += 1;
        }
    }
    assert!(limited > 250, "the limit held: {limited} of 300 were 429");
    println!("{limited} answered 429, {reconnects} reconnections on being told");
}

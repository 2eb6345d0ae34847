//! The accept loop, in place of `axum::serve` for what it cannot set: a deadline for a request's
//! headers (which also ends idle keep-alive connections), a cap on open connections, a bound on
//! header size, and an accept that survives running out of file descriptors. A connection over
//! the cap is answered 503 and closed at once, so slow or half-sent requests can hold at most
//! `max_connections` descriptors and never starve the listener.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Request headers larger than this are answered 431 (nginx allows 4 × 8 KiB by default).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Connections being turned away at one time at most; beyond, they are closed unanswered.
const REFUSING_AT_ONCE: usize = 64;
/// How long a turned-away connection may take to read its 503.
const REFUSAL_TIME: Duration = Duration::from_secs(2);
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 5\r\nconnection: close\r\ncontent-length: 37\r\n\r\n{\"error\":\"too many open connections\"}";

#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` until `shutdown` resolves, then waits for the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: SocketLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = accept_until(&listener, router, limits, shutdown).await;
    // Stop accepting before waiting, so that new connections are refused rather than queued.
    drop(listener);
    graceful.shutdown().await;
}

/// Accepts connections for `router` until `shutdown` resolves; returns the connections still
/// open, to be closed gracefully. The listener stays open: while `serve` waits for the database,
/// it answers health probes here, then hands the same listener to the application.
pub async fn accept_until(
    listener: &TcpListener,
    router: Router,
    limits: SocketLimits,
    shutdown: impl Future<Output = ()>,
) -> GracefulShutdown {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors (EMFILE) or a connection reset before it was taken:
                    // wait a moment rather than spin, then go on serving.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream, &refusing);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client's (a reset, a header timeout): nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
    graceful
}

/// Answers 503 to a connection over the cap and closes it, reading what the client sent
/// meanwhile so that the close does not reset the connection before the answer is read.
fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>) {
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        return; // dropped: closed unanswered
    };
    tokio::spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_TIME, async {
            stream.write_all(BUSY).await?;
            stream.shutdown().await?;
            let mut sink = [0u8; 4096];
            while stream.read(&mut sink).await? > 0 {}
            Ok::<_, std::io::Error>(())
        })
        .await;
        drop(permit);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_canned_answer_is_well_formed() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}

//! The accept loop, in place of `axum::serve` for what it cannot set: a deadline for a request's
//! headers (which also ends idle keep-alive connections), a shorter one for a new connection's
//! first byte, a cap on open connections and a smaller one per client, a bound on header size,
//! and an accept that survives running out of file descriptors. A connection over a cap is
//! answered 503 and closed at once, so slow or half-sent requests can hold at most
//! `max_connections` descriptors and never starve the listener, and one client at most
//! `max_connections_per_client` of them: the cap is reached only by many clients.

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
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

use super::client_conns::{ClientConns, ClientSlot};
use crate::visitor::TrustedProxies;

/// Request headers larger than this are answered 431 (nginx allows 4 × 8 KiB by default).
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// Connections being turned away at one time at most; beyond, they are closed unanswered.
const REFUSING_AT_ONCE: usize = 64;
/// How long a turned-away connection may take to read its 503.
const REFUSAL_TIME: Duration = Duration::from_secs(2);
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 5\r\nconnection: close\r\ncontent-length: 37\r\n\r\n{\"error\":\"too many open connections\"}";
const BUSY_CLIENT: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 5\r\nconnection: close\r\ncontent-length: 54\r\n\r\n\
{\"error\":\"too many open connections from this client\"}";

#[derive(Debug, Clone)]
pub struct SocketLimits {
    pub header_timeout: Duration,
    /// A new connection must send its first byte within this, else it is closed unanswered.
    pub first_byte_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// Their connections are not counted per client (see `client_conns`).
    pub trusted_proxies: TrustedProxies,
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
    let per_client = ClientConns::new(
        limits.max_connections_per_client,
        limits.trusted_proxies.clone(),
    );
    // Dropped when accepting stops: connections still waiting for their first byte close then.
    let (stopping, stopped) = watch::channel(());
    let refusing = Arc::new(Semaphore::new(REFUSING_AT_ONCE));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES);
    let http = Arc::new(http);
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
        let Ok(slot) = per_client.admit(peer.ip()) else {
            refuse(stream, BUSY_CLIENT, &refusing);
            continue;
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream, BUSY, &refusing);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let held = Held {
            _permit: permit,
            _slot: slot,
        };
        let watcher = graceful.watcher();
        let (http, first_byte, mut stopped) =
            (http.clone(), limits.first_byte_timeout, stopped.clone());
        tokio::spawn(async move {
            let sent = tokio::select! {
                sent = first_byte_within(&stream, first_byte) => sent,
                _ = stopped.changed() => false,
            };
            if !sent {
                return; // closed unanswered: it asked nothing
            }
            let connection =
                http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
            // Errors here are the client's (a reset, a header timeout): nothing to report.
            let _ = watcher.watch(connection).await;
            drop(held);
        });
    }
    drop(stopping);
    graceful
}

/// What an open connection holds until it closes: its place under both caps.
struct Held {
    _permit: tokio::sync::OwnedSemaphorePermit,
    _slot: Option<ClientSlot>,
}

/// Whether the client sent anything within `limit` (a client that closed has nothing to ask).
/// A browser sends its request as soon as it connects; a connection that stays silent only
/// holds a place (a "slowloris"), which the header deadline alone would leave it for a minute.
async fn first_byte_within(stream: &TcpStream, limit: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(limit, stream.peek(&mut byte)).await,
        Ok(Ok(n)) if n > 0
    )
}

/// Answers 503 to a connection over a cap and closes it, reading what the client sent
/// meanwhile so that the close does not reset the connection before the answer is read.
fn refuse(mut stream: TcpStream, answer: &'static [u8], refusing: &Arc<Semaphore>) {
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        return; // dropped: closed unanswered
    };
    tokio::spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_TIME, async {
            stream.write_all(answer).await?;
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
    fn the_canned_answers_are_well_formed() {
        for answer in [BUSY, BUSY_CLIENT] {
            let text = std::str::from_utf8(answer).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert!(head.contains(&format!("content-length: {}", body.len())));
            serde_json::from_str::<serde_json::Value>(body).unwrap();
        }
    }
}

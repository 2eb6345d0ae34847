//! `allowed_hosts`: answer only requests whose `Host` names this server as configured (421
//! Misdirected Request otherwise). A page using DNS rebinding makes the browser send requests to
//! 127.0.0.1 under the page's own name, as same-origin requests: the demo of `make run` lists
//! only the loopback names, so such a page reads and writes nothing. Off by default: a server
//! behind a proxy or reached by many names answers any `Host`, as before.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::ErrorBody;

/// Whether `host` (a `Host` header: name or address, perhaps a port) is one of `allowed`: an
/// entry with a port names that port only, one without any port; names compare in any case.
pub fn is_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        // `[::1]:8080`, `localhost:8080`; a bare IPv6 address has more than one colon.
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host.as_str(),
    };
    allowed.iter().any(|entry| {
        let entry = entry.trim().to_ascii_lowercase();
        entry == host || entry == name
    })
}

/// The middleware: 421 for a `Host` not on the list (or none).
pub async fn check(
    State(allowed): State<std::sync::Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    if host.is_some_and(|h| is_allowed(h, &allowed)) {
        return next.run(request).await;
    }
    let body = ErrorBody::new("this server does not answer to that host name", None);
    (StatusCode::MISDIRECTED_REQUEST, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_with_or_without_their_port() {
        let allowed = [
            "127.0.0.1".to_string(),
            "localhost:8080".into(),
            "[::1]".into(),
        ];
        assert!(is_allowed("127.0.0.1:8080", &allowed));
        assert!(is_allowed("127.0.0.1", &allowed));
        assert!(is_allowed("LocalHost:8080", &allowed));
        assert!(!is_allowed("localhost:9090", &allowed), "that port only");
        assert!(is_allowed("[::1]:8080", &allowed));
        assert!(!is_allowed("rebound.example:8080", &allowed));
        assert!(!is_allowed("127.0.0.1.rebound.example", &allowed));
        assert!(!is_allowed("", &allowed));
    }
}

//! Which pages may send events: the configured origins, the aggregator's own, and senders that
//! are not browsers (no Origin header). CORS answers for the allowed ones.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, Method};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer, Vary};
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

use super::ApiError;
use crate::visitor::scheme::scheme_of;
use crate::visitor::TrustedProxies;

/// True when a request with these headers, reaching us by `scheme`, may send events.
pub fn allowed(origin: Option<&str>, own: (&str, Option<&str>), allowlist: &[String]) -> bool {
    let Some(origin) = origin else { return true };
    allowlist.iter().any(|allowed| allowed == origin) || same_origin(origin, own)
}

/// Same scheme and same host and port: `http://x` is not the own origin of `https://x`.
fn same_origin(origin: &str, (scheme, host): (&str, Option<&str>)) -> bool {
    let parts = origin.split_once("://");
    matches!((parts, host), (Some((s, a)), Some(h)) if s.eq_ignore_ascii_case(scheme) && a.eq_ignore_ascii_case(h))
}

pub fn check(headers: &HeaderMap, scheme: &str, allowlist: &[String]) -> Result<(), ApiError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if allowed(
        text(header::ORIGIN),
        (scheme, text(header::HOST)),
        allowlist,
    ) {
        Ok(())
    } else {
        Err(ApiError::OriginNotAllowed)
    }
}

/// The CORS answers. `Vary` and `Access-Control-Expose-Headers`, the same on every answer, are
/// set by [`constant_headers`] instead: `CorsLayer` builds both anew for each request (a
/// `Vary` value joined from its names, a header map to carry them), 4 to 6 of the ~60 heap
/// allocations of a heartbeat (scripts/count-per-request.sh); with them out, a request without
/// an `Origin` (a server's, or the bench's) leaves its map empty.
pub fn cors(allowlist: Arc<Vec<String>>, trusted: TrustedProxies) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            let own = (scheme_of(parts, &trusted), host);
            origin
                .to_str()
                .is_ok_and(|o| allowed(Some(o), own, &allowlist))
        }))
        .allow_methods([Method::POST, Method::GET])
        .allow_headers([header::CONTENT_TYPE])
        .vary(Vary::list([]))
        .max_age(std::time::Duration::from_secs(3600))
}

/// What `CorsLayer` added to every answer by default, as constants: `Vary` on the CORS request
/// headers (appended to a route's own, as `CorsLayer` does) and `Retry-After` exposed to pages.
/// Wraps [`cors`]'s layer, so a preflight's answer carries them too.
pub fn constant_headers<S>(service: S) -> ConstantHeaders<S> {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static(
                "origin, access-control-request-method, access-control-request-headers",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        ))
        .service(service)
}

/// What [`constant_headers`] returns.
pub type ConstantHeaders<S> = SetResponseHeader<SetResponseHeader<S, HeaderValue>, HeaderValue>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_listed_same_and_absent_origins_only() {
        let list = vec!["https://ide.example".to_string()];
        let usage = ("https", Some("usage.example"));
        let local = ("http", Some("127.0.0.1:8080"));
        // (the request's Origin, the server's own scheme and host, allowed?)
        let cases = [
            (None, usage, true),
            (Some("https://ide.example"), usage, true),
            (Some("http://127.0.0.1:8080"), local, true),
            (Some("https://evil.example"), usage, false),
            (Some("https://ide.example.evil"), usage, false),
            (Some("null"), usage, false),
            // The scheme is part of the origin.
            (Some("http://usage.example"), usage, false),
            (Some("https://127.0.0.1:8080"), local, false),
        ];
        for (origin, own, expected) in cases {
            assert_eq!(
                allowed(origin, own, &list),
                expected,
                "{origin:?} to {own:?}"
            );
        }
    }
}

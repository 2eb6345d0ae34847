//! Which pages may send events: the configured origins, the aggregator's own, and senders that
//! are not browsers (no Origin header). CORS answers for the allowed ones.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::ApiError;

/// True when a request with these headers may send events.
pub fn allowed(origin: Option<&str>, host: Option<&str>, allowlist: &[String]) -> bool {
    let Some(origin) = origin else { return true };
    allowlist.iter().any(|allowed| allowed == origin) || same_origin(origin, host)
}

fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

pub fn check(headers: &HeaderMap, allowlist: &[String]) -> Result<(), ApiError> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if allowed(text(header::ORIGIN), text(header::HOST), allowlist) {
        Ok(())
    } else {
        Err(ApiError::OriginNotAllowed)
    }
}

pub fn cors(allowlist: Arc<Vec<String>>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            origin
                .to_str()
                .is_ok_and(|o| allowed(Some(o), host, &allowlist))
        }))
        .allow_methods([Method::POST, Method::GET])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
        .max_age(std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_listed_same_and_absent_origins_only() {
        let list = vec!["https://ide.example".to_string()];
        assert!(allowed(None, Some("usage.example"), &list));
        assert!(allowed(
            Some("https://ide.example"),
            Some("usage.example"),
            &list
        ));
        assert!(allowed(
            Some("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080"),
            &list
        ));
        assert!(!allowed(
            Some("https://evil.example"),
            Some("usage.example"),
            &list
        ));
        assert!(!allowed(
            Some("https://ide.example.evil"),
            Some("usage.example"),
            &list
        ));
        assert!(!allowed(Some("null"), Some("usage.example"), &list));
    }
}

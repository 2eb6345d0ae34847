//! Serves the browser client (`client_dir`, at `/usage/`): the precompressed `.br` or `.gz` the
//! client build writes beside each file when the request accepts it, with `Vary:
//! Accept-Encoding`, a strong ETag per representation and `Cache-Control: no-cache`, so a
//! browser revalidates on each page load and gets a bodiless 304 while the file is unchanged.
//!
//! By hand rather than tower-http's `ServeDir`: its precompressed variants come without `Vary`
//! and it has no ETag (only `Last-Modified`, which a fresh checkout or rebuild moves although
//! the bytes stay the same). The files are a few KB, so each request reads and hashes the one it
//! serves (well under a millisecond); nothing is cached that could go stale when `make client`
//! swaps the directory.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Path as UrlPath;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// The content codings the build precompresses, best first, with their file suffix.
const ENCODINGS: [(&str, &str); 2] = [("br", ".br"), ("gzip", ".gz")];

/// `GET /{file}` (and HEAD) from `dir`.
pub fn routes<S: Clone + Send + Sync + 'static>(dir: &Path) -> Router<S> {
    let dir: Arc<Path> = Arc::from(dir);
    Router::new().route(
        "/{*file}",
        get(move |UrlPath(file): UrlPath<String>, headers: HeaderMap| {
            let dir = dir.clone();
            async move { serve(&dir, &file, &headers).await }
        }),
    )
}

async fn serve(dir: &Path, file: &str, headers: &HeaderMap) -> Response {
    let Some(content_type) = safe_name(file).then(|| content_type(file)).flatten() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = dir.join(file);
    let accepted = header_text(headers, header::ACCEPT_ENCODING);
    let mut chosen = None;
    for (coding, suffix) in ENCODINGS {
        if accepts(accepted, coding) {
            let mut variant = path.clone().into_os_string();
            variant.push(suffix);
            if let Ok(bytes) = tokio::fs::read(&variant).await {
                chosen = Some((Some(coding), bytes));
                break;
            }
        }
    }
    let (coding, bytes) = match chosen {
        Some(c) => c,
        None => match tokio::fs::read(&path).await {
            Ok(bytes) => (None, bytes),
            Err(_) => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    let etag = etag(&bytes);
    let mut response = if none_match(header_text(headers, header::IF_NONE_MATCH), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(bytes));
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(c) = coding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(c));
        }
        r
    };
    let h = response.headers_mut();
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Path segments of letters, digits, `_`, `-` and `.`, none starting with a dot: no way out of
/// the directory, no hidden files.
fn safe_name(file: &str) -> bool {
    !file.is_empty()
        && file.split('/').all(|seg| {
            !seg.is_empty()
                && !seg.starts_with('.')
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        })
}

/// The types of what the client build writes; anything else is not served.
fn content_type(file: &str) -> Option<&'static str> {
    let ext = file.rsplit_once('.').map(|(_, e)| e)?;
    Some(match ext {
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "ts" => "text/plain; charset=utf-8",
        "json" => "application/json",
        "br" => "application/x-brotli",
        "gz" => "application/gzip",
        _ => return None,
    })
}

/// Whether `Accept-Encoding` allows `coding`: listed (or `*`) with a q-value above 0.
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut wildcard = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            return q > 0.0;
        }
        if name == "*" {
            wildcard = Some(q > 0.0);
        }
    }
    wildcard.unwrap_or(false)
}

/// A strong validator of exactly these bytes (each encoding gets its own, as it must).
fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// `If-None-Match` lists this ETag (or is `*`); `W/` prefixes compare weakly, as RFC 9110 says.
fn none_match(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_encoding_with_q_values_and_wildcards() {
        assert!(accepts("br, gzip", "br"));
        assert!(accepts("gzip, deflate, br, zstd", "gzip"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("*;q=0", "gzip"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "br"));
    }

    #[test]
    fn only_plain_names_of_known_types() {
        assert!(safe_name("usage.js") && safe_name("snippets/a-1/x.js"));
        for bad in [
            "",
            "../secret",
            "a/../../b",
            ".env",
            "a//b",
            "a/.git/x",
            "a\\b",
            "%2e",
        ] {
            assert!(!safe_name(bad), "{bad}");
        }
        assert_eq!(
            content_type("usage_client_bg.wasm"),
            Some("application/wasm")
        );
        assert_eq!(content_type("Makefile"), None);
        assert_eq!(content_type("x.html"), None);
    }

    #[test]
    fn etags_are_strong_and_match_weakly_in_if_none_match() {
        let e = etag(b"abc");
        assert!(e.starts_with('"') && !e.starts_with("W/"));
        assert_ne!(e, etag(b"abd"));
        assert!(none_match(&e, &e));
        assert!(none_match(&format!("\"x\", W/{e}"), &e));
        assert!(none_match("*", &e));
        assert!(!none_match("\"x\"", &e));
        assert!(!none_match("", &e));
    }
}

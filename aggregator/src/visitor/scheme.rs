//! The scheme a request reached us by, for the own-origin check: `http` (the aggregator serves
//! plain HTTP), or what `X-Forwarded-Proto` says when the socket peer is a trusted proxy (a TLS
//! front). Here because it reads the peer address, which never leaves `visitor`.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{request::Parts, HeaderMap};

use super::TrustedProxies;

pub fn request_scheme(
    peer: Option<&ConnectInfo<SocketAddr>>,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> &'static str {
    let proxied = peer.is_some_and(|ConnectInfo(peer)| trusted.trusts(peer.ip().to_canonical()));
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim);
    match forwarded {
        Some(proto) if proxied && proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

/// [`request_scheme`] of a request's parts.
pub fn scheme_of(parts: &Parts, trusted: &TrustedProxies) -> &'static str {
    request_scheme(parts.extensions.get(), &parts.headers, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_says_https() {
        let proxy = TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        let from = |ip: [u8; 4]| ConnectInfo(SocketAddr::from((ip, 4000)));
        assert_eq!(
            request_scheme(Some(&from([10, 0, 0, 1])), &headers, &proxy),
            "https"
        );
        assert_eq!(
            request_scheme(Some(&from([192, 0, 2, 1])), &headers, &proxy),
            "http"
        );
        assert_eq!(
            request_scheme(Some(&from([10, 0, 0, 1])), &HeaderMap::new(), &proxy),
            "http"
        );
    }
}

//! Security headers on every answer, the dashboard's (which holds a bearer token) and the demo
//! page's above all: a Content-Security-Policy allowing only our own scripts, styles and
//! connections (and compiling the client's WebAssembly), no framing by any page, no MIME
//! sniffing, no referrer. Headers a route sets itself are left as they are. The client at
//! `/usage/` is still loadable by other sites' pages: none of these restricts who may load a
//! script (that would be Cross-Origin-Resource-Policy, deliberately not set).

use axum::http::{header, HeaderValue};
use tower::ServiceBuilder;
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

/// `service` with the four headers set on its answers (where the route set none itself).
pub fn wrap<S>(service: S) -> WithSecurityHeaders<S> {
    let header = |name, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    ServiceBuilder::new()
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .service(service)
}

type Header<S> = SetResponseHeader<S, HeaderValue>;

/// What [`wrap`] returns: one header setter per header, outermost first.
pub type WithSecurityHeaders<S> = Header<Header<Header<Header<S>>>>;

//! `GET /metrics` (Prometheus text format) and the layer that counts every answered request by
//! route and status. The route label comes from a closed list, never from the raw path. With
//! metrics off (`metrics = false`) neither is there: `/metrics` answers 404.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;

/// The routes the router declares; anything else is a static file (`/usage/*` or the site).
const ROUTES: &[&str] = &[
    "/api/v1/events",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/v1/stats/daily",
    "/api/v1/stats/sessions",
    "/api/v1/stats/features",
    "/api/v1/stats/programs",
    "/api/v1/stats/clients",
];

/// The label of a request path: a declared route, `/usage/*` (the client) or `static`.
pub fn route_label(path: &str) -> &'static str {
    match ROUTES.iter().find(|route| **route == path) {
        Some(route) => route,
        None if path.starts_with("/usage/") => "/usage/*",
        None if path.starts_with("/api/") => "/api/*",
        None => "static",
    }
}

/// `GET /metrics`, rendering the recorder behind `handle`.
pub fn route<S: Clone + Send + Sync + 'static>(handle: PrometheusHandle) -> MethodRouter<S> {
    get(render).with_state(handle)
}

/// `routes` with `GET /metrics` and the request counter around them all, given the recorder's
/// handle; as they are without it. For the small router served while waiting for the database;
/// the application's router puts the counter in its one layer stack (`http::router`).
pub fn routed(routes: Router, handle: Option<PrometheusHandle>) -> Router {
    match handle {
        Some(handle) => routes
            .route("/metrics", route(handle))
            .layer(axum::middleware::from_fn(count)),
        None => routes,
    }
}

/// Counts the request once it is answered.
pub async fn count(request: Request, next: Next) -> Response {
    let route = route_label(request.uri().path());
    let response = next.run(request).await;
    crate::metrics::request(route, response.status().as_u16());
    response
}

pub async fn render(State(handle): State<PrometheusHandle>) -> Response {
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::route_label;

    #[test]
    fn labels_come_from_a_closed_set() {
        assert_eq!(route_label("/api/v1/events"), "/api/v1/events");
        assert_eq!(route_label("/api/v1/stats/daily"), "/api/v1/stats/daily");
        assert_eq!(route_label("/usage/usage_client_bg.wasm"), "/usage/*");
        assert_eq!(route_label("/api/v1/events/10.1.2.3"), "/api/*");
        assert_eq!(route_label("/dashboard.html"), "static");
        assert_eq!(route_label("/10.1.2.3"), "static");
    }
}

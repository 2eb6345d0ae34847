//! `GET /metrics` (Prometheus text format) and the layer that counts every answered request by
//! route and status. The route label comes from a closed list, never from the raw path. With
//! metrics off (`metrics = false`) neither is there: `/metrics` answers 404.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use axum::extract::State;
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use tower::{Layer, Service};

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
    "/api/v1/stats/live",
    "/api/v1/stats/errors",
    "/api/v1/openapi.json",
];

/// The label of every feature's drill-down (`/api/v1/stats/features/{name}`): never the name.
const FEATURE_DATA: &str = "/api/v1/stats/features/{name}";

/// The label of a request path: a declared route, `/usage/*` (the client) or `static`.
pub fn route_label(path: &str) -> &'static str {
    match ROUTES.iter().find(|route| **route == path) {
        Some(route) => route,
        None if path.starts_with("/api/v1/stats/features/") => FEATURE_DATA,
        None if path.starts_with("/usage/") => "/usage/*",
        None if path.starts_with("/api/") => "/api/*",
        None => "static",
    }
}

/// `GET /metrics`, rendering the recorder behind `handle`.
pub fn route<S: Clone + Send + Sync + 'static>(handle: PrometheusHandle) -> MethodRouter<S> {
    get(render).with_state(handle)
}

/// Where `GET /metrics` is answered.
#[derive(Clone)]
pub enum Placement {
    /// Metrics off (`metrics = false`): no recorder, no route, no counter.
    Off,
    /// On the application's own listener (the default).
    Beside(PrometheusHandle),
    /// On a listener of its own (`metrics_listen`, [`apart`]); the application counts requests
    /// but answers `/metrics` 404.
    Apart,
}

impl Placement {
    /// The handle, when the application's router serves `/metrics` itself.
    pub fn beside(&self) -> Option<PrometheusHandle> {
        match self {
            Placement::Beside(handle) => Some(handle.clone()),
            _ => None,
        }
    }

    /// Whether requests are counted (a recorder is installed).
    pub fn counts(&self) -> bool {
        !matches!(self, Placement::Off)
    }
}

/// `routes` with `GET /metrics` (when placed beside them) and the request counter around them
/// all (unless metrics are off). For the small router served while waiting for the database; the
/// application's router puts the counter in its one layer stack (`http::router`).
pub fn routed(routes: Router, placement: Placement) -> Router {
    match placement {
        Placement::Beside(handle) => routes.route("/metrics", route(handle)).layer(CountLayer),
        Placement::Apart => routes.layer(CountLayer),
        Placement::Off => routes,
    }
}

/// The router of the metrics listener (`metrics_listen`): `GET /metrics` and nothing else, so
/// that the port Prometheus scrapes can be kept from the public one.
pub fn apart(handle: PrometheusHandle) -> Router {
    Router::new()
        .route("/metrics", route(handle))
        .layer(CountLayer)
}

/// Counts each answered request by route and status. A small layer of its own rather than
/// `axum::middleware::from_fn`, whose `Next` clones the boxed inner service and boxes its future
/// for every request: in bench figure b (1000 closed-loop heartbeat sessions, same run) the
/// aggregator answered 0.91 and 0.93 of the requests per second with metrics on through
/// `from_fn` as with metrics off (BENCHMARKS.md, "Metrics on and off").
#[derive(Clone, Copy, Debug, Default)]
pub struct CountLayer;

impl<S> Layer<S> for CountLayer {
    type Service = Count<S>;

    fn layer(&self, inner: S) -> Count<S> {
        Count { inner }
    }
}

/// The service [`CountLayer`] wraps around its inner one.
#[derive(Clone, Debug)]
pub struct Count<S> {
    inner: S,
}

impl<S, B> Service<Request<B>> for Count<S>
where
    S: Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = route_label(request.uri().path());
        Counted {
            inner: self.inner.call(request),
            route,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, counted when it is ready.
    pub struct Counted<F> {
        #[pin]
        inner: F,
        route: &'static str,
    }
}

impl<F, E> Future for Counted<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let answer = ready!(this.inner.poll(cx));
        if let Ok(response) = &answer {
            crate::metrics::request(this.route, response.status().as_u16());
        }
        Poll::Ready(answer)
    }
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
        assert_eq!(
            route_label("/api/v1/stats/features/run%20button"),
            "/api/v1/stats/features/{name}"
        );
        assert_eq!(route_label("/usage/usage_client_bg.wasm"), "/usage/*");
        assert_eq!(route_label("/api/v1/events/10.1.2.3"), "/api/*");
        assert_eq!(route_label("/dashboard.html"), "static");
        assert_eq!(route_label("/10.1.2.3"), "static");
    }
}

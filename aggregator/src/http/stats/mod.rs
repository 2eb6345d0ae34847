//! `/api/v1/stats/*`: the JSON the dashboard reads, behind a bearer token compared in constant
//! time. Handlers only check the query and call the report's read (`crate::report`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::IntoResponses;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod export;
pub mod journey;
pub mod query;
pub mod reports;
pub mod source;
pub mod time;

use super::error::{refusals, ErrorBody, Responses, RETRY_AFTER};
use super::AppState;
use crate::domain::report::dates::BadRange;
use crate::store::StoreError;
use crate::visitor::ClientAddr;

/// Days a range covers when the query gives neither end.
const DEFAULT_DAYS: u64 = 30;
const DEFAULT_SESSIONS: u32 = 50;
const MAX_SESSIONS: u32 = 500;

/// The configured token, kept only as its SHA-256 so that comparing digests of equal length
/// leaks neither the token's bytes nor its length through timing.
pub struct AdminToken([u8; 32]);

impl AdminToken {
    pub fn new(token: &str) -> Self {
        AdminToken(Sha256::digest(token.trim().as_bytes()).into())
    }

    pub fn accepts(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.0).into()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("the stats API is disabled: set USAGE_ADMIN_TOKEN (admin_token) to enable it")]
    NotConfigured,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{}", .0.reason)]
    BadQuery(BadRange),
    #[error("the database is unavailable")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Limited(super::ApiError),
}

impl IntoResponse for StatsError {
    fn into_response(self) -> Response {
        // A rate limit is an ApiError, which counts itself.
        if let StatsError::Limited(limited) = self {
            return limited.into_response();
        }
        let message = self.to_string();
        crate::metrics::rejected(self.reason());
        let error = |status, field| (status, Json(ErrorBody::new(message, field))).into_response();
        match self {
            StatsError::NotConfigured => error(StatusCode::SERVICE_UNAVAILABLE, None),
            // Logged by `require_admin` with the client's keyed hash, never the token.
            StatsError::Unauthorized(_) => {
                let mut response = error(StatusCode::UNAUTHORIZED, None);
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"usage-stats\""),
                );
                response
            }
            StatsError::BadQuery(bad) => error(StatusCode::UNPROCESSABLE_ENTITY, Some(bad.field)),
            StatsError::Limited(limited) => limited.into_response(),
            StatsError::Store(failure) => {
                tracing::warn!(error = %failure, "stats query failed");
                error(StatusCode::SERVICE_UNAVAILABLE, None)
            }
        }
    }
}

impl StatsError {
    /// The `reason` label of `usage_requests_rejected_total`.
    fn reason(&self) -> &'static str {
        match self {
            StatsError::NotConfigured => "stats_not_configured",
            StatsError::Unauthorized(_) => "unauthorized",
            StatsError::BadQuery(_) => "bad_query",
            StatsError::Store(_) => "unavailable",
            StatsError::Limited(limited) => limited.reason(),
        }
    }
}

/// The report routes (documented: `http::openapi`), without their layers.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reports::daily))
        .routes(routes!(reports::hourly))
        .routes(routes!(time::time))
        .routes(routes!(reports::sessions))
        .routes(routes!(reports::features))
        .routes(routes!(reports::programs))
        .routes(routes!(reports::clients))
        .routes(routes!(reports::live))
        .routes(routes!(reports::errors))
        .routes(routes!(reports::feature_data))
        .routes(routes!(journey::journey))
        .routes(routes!(journey::funnel))
}

/// The routes behind the token (each answers CSV itself: `export::Answer`).
pub fn guarded(routes: OpenApiRouter<AppState>, state: AppState) -> OpenApiRouter<AppState> {
    routes.route_layer(middleware::from_fn_with_state(state, require_admin))
}

/// Every stats route: the token or nothing, and never cached by a proxy or the browser. Only
/// refusals count against a client's rate limit, so that the right token is never refused because
/// of wrong ones sent from the same address (a shared NAT, a script gone wrong); a refused token is
/// logged with the client's keyed hash, never with the token.
async fn require_admin(
    State(app): State<AppState>,
    client: ClientAddr,
    request: Request,
    next: Next,
) -> Result<Response, StatsError> {
    let token = app.admin_token.as_ref().ok_or(StatsError::NotConfigured)?;
    let presented = request.headers().get(header::AUTHORIZATION);
    let verdict = match presented.map(|v| v.to_str().ok().and_then(bearer_token)) {
        None => Err("missing Authorization: Bearer <token>"),
        Some(None) => Err("expected Authorization: Bearer <token>"),
        Some(Some(presented)) if !token.accepts(presented) => Err("wrong token"),
        Some(Some(_)) => Ok(()),
    };
    if let Err(reason) = verdict {
        if let Some(limits) = &app.rate_limits {
            limits
                .stats_refusal_from(&client)
                .map_err(StatsError::Limited)?;
        }
        let client = app.rate_limits.as_ref().map(|l| l.key_of(&client));
        tracing::warn!(client = ?client, reason, "stats API: request refused");
        return Err(StatsError::Unauthorized(reason));
    }
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 9110, 11.1).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A shared handle on the token for the router state.
pub fn admin_token(configured: Option<&str>) -> Option<Arc<AdminToken>> {
    configured.map(|t| Arc::new(AdminToken::new(t)))
}

/// The refusals every stats route shares.
pub struct StatsRefusals;

impl IntoResponses for StatsRefusals {
    fn responses() -> Responses {
        refusals(&[
            (
                "401",
                "no `Authorization: Bearer <token>`, another scheme, or a wrong token",
                &[("WWW-Authenticate", "Bearer realm=\"usage-stats\"", false)],
            ),
            ("422", "a parameter is invalid; `field` names it", &[]),
            (
                "429",
                "over the per-client rate limit of the stats API",
                &[RETRY_AFTER],
            ),
            (
                "503",
                "the stats API is disabled (no `admin_token` configured), or the database failed",
                &[],
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_must_match_exactly() {
        let token = AdminToken::new("0123456789abcdef-secret");
        assert!(token.accepts("0123456789abcdef-secret"));
        assert!(!token.accepts("0123456789abcdef-secreT"));
        assert!(!token.accepts("0123456789abcdef-secret "));
        assert!(!token.accepts(""));
    }
}

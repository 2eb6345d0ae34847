//! The one error type of the HTTP edge: each case is a status and a JSON body naming the field.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::openapi::{ContentBuilder, HeaderBuilder, RefOr, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::event::Invalid;
use crate::pipeline::NotStored;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{reason}")]
    Malformed { field: String, reason: String },
    #[error("{reason}")]
    OutOfRange { field: String, reason: String },
    /// A site id never seen before, beyond today's cap of new ones (`max_new_sites_per_day`).
    #[error(
        "new site refused: {cap} new site ids were accepted today already (name the sites in \
         the `sites` setting, USAGE_SITES, or raise max_new_sites_per_day)"
    )]
    TooManyNewSites { cap: u32 },
    #[error("origin not allowed")]
    OriginNotAllowed,
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    #[error("the body did not arrive within {0} s")]
    BodyTimeout(u64),
    #[error("content type must be text/plain or application/json")]
    UnsupportedMediaType,
    /// The database refused a value of this request: retrying it unchanged cannot succeed.
    #[error("{0}")]
    Refused(String),
    #[error("too many requests from {whose}: retry after {retry_after_secs} s")]
    TooManyRequests {
        whose: &'static str,
        retry_after_secs: u64,
    },
    #[error("{reason}")]
    Unavailable {
        reason: String,
        retry_after_secs: u64,
        /// The metric's reason: `database_unavailable`, `queue_full` (overload) or `starting`
        /// (still waiting for the database at start), which an operator answers differently.
        cause: &'static str,
    },
}

impl ApiError {
    /// 503 because the database cannot be used (a write, a salt lookup).
    pub fn unavailable(cause: impl std::fmt::Display, retry_after_secs: u64) -> Self {
        Self::unavailable_as("database_unavailable", cause, retry_after_secs)
    }

    /// 503 with its metric reason (see [`ApiError::Unavailable`]).
    pub fn unavailable_as(
        label: &'static str,
        cause: impl std::fmt::Display,
        retry_after_secs: u64,
    ) -> Self {
        ApiError::Unavailable {
            reason: cause.to_string(),
            retry_after_secs,
            cause: label,
        }
    }

    /// The `reason` label of `usage_requests_rejected_total`: one per variant, never the message
    /// (which may name a client's input).
    pub fn reason(&self) -> &'static str {
        match self {
            ApiError::Malformed { .. } => "malformed",
            ApiError::OutOfRange { .. } => "out_of_range",
            ApiError::TooManyNewSites { .. } => "too_many_new_sites",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::TooLarge(_) => "too_large",
            ApiError::BodyTimeout(_) => "body_timeout",
            ApiError::Refused(_) => "refused_value",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable { cause, .. } => cause,
        }
    }

    pub fn from_not_stored(cause: NotStored, retry_after_secs: u64) -> Self {
        match cause {
            NotStored::Refused(reason) => ApiError::Refused(reason),
            NotStored::QueueFull => {
                Self::unavailable_as("queue_full", NotStored::QueueFull, retry_after_secs)
            }
            other @ NotStored::DatabaseUnavailable => Self::unavailable(other, retry_after_secs),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        match invalid {
            Invalid::Malformed { field, reason } => ApiError::Malformed { field, reason },
            Invalid::OutOfRange { field, reason } => ApiError::OutOfRange { field, reason },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        crate::metrics::rejected(self.reason());
        let message = self.to_string();
        let (status, field) = match &self {
            ApiError::Malformed { field, .. } => (StatusCode::BAD_REQUEST, Some(field.as_str())),
            ApiError::OutOfRange { field, .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field.as_str()))
            }
            ApiError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, Some("database")),
            ApiError::TooManyNewSites { .. } => (StatusCode::UNPROCESSABLE_ENTITY, Some("site")),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, None),
            ApiError::OriginNotAllowed => (StatusCode::FORBIDDEN, None),
            ApiError::BodyTimeout(_) => (StatusCode::REQUEST_TIMEOUT, None),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, None),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, None),
            ApiError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, None),
        };
        let body = ErrorBody::new(message, field);
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Unavailable {
            retry_after_secs, ..
        }
        | ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

// The refusals' description in the OpenAPI document (`openapi`): each route's list of them
// lives beside its handler (`ingest`, `stats`), built from these.

/// The body of every refusal: what was wrong, and which field when one is at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    /// The field at fault: a JSON path of the body (`events[2].type`), a query parameter, `name`
    /// (the path) or `database` (the database refused a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>, field: Option<&str>) -> Self {
        ErrorBody {
            error: error.into(),
            field: field.map(str::to_string),
        }
    }
}

/// A header of a refusal: its name, what it says, and whether it is a number of seconds.
pub type HeaderDoc<'a> = (&'a str, &'a str, bool);

/// A refusal with an [`ErrorBody`], and the headers it carries.
fn refusal(description: &str, headers: &[HeaderDoc<'_>]) -> RefOr<utoipa::openapi::Response> {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(ErrorBody::schema()))
            .build(),
    );
    for (name, about, seconds) in headers {
        let schema = if *seconds {
            u64::schema()
        } else {
            String::schema()
        };
        response = response.header(
            *name,
            HeaderBuilder::new()
                .schema(schema)
                .description(Some(*about))
                .build(),
        );
    }
    RefOr::T(response.build())
}

pub const RETRY_AFTER: HeaderDoc<'static> =
    ("Retry-After", "seconds to wait before trying again", true);

pub type Responses = BTreeMap<String, RefOr<utoipa::openapi::Response>>;

pub fn refusals(list: &[(&str, &str, &[HeaderDoc<'_>])]) -> Responses {
    list.iter()
        .map(|(status, about, headers)| (status.to_string(), refusal(about, headers)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_503_says_in_its_metric_whether_the_queue_or_the_database_failed() {
        let full = ApiError::from_not_stored(NotStored::QueueFull, 5);
        assert_eq!(full.reason(), "queue_full");
        let down = ApiError::from_not_stored(NotStored::DatabaseUnavailable, 5);
        assert_eq!(down.reason(), "database_unavailable");
        assert_eq!(
            ApiError::unavailable("salt lookup failed", 5).reason(),
            "database_unavailable"
        );
        for error in [full, down] {
            let response = error.into_response();
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        }
    }
}

//! `?format=csv` on every stats route: the handler answers JSON as always, and this layer turns a
//! 200 answer into the route's table (`report::csv`) with a `Content-Disposition` that names the
//! file after the route and the range. `format=json` (or none) leaves the answer as it is.

use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::query::Export;
use super::StatsError;
use crate::report::csv;
use crate::report::dates::BadRange;

/// Answers larger than this are not buffered for conversion (the routes are bounded far below).
const MAX_BODY: usize = 16 * 1024 * 1024;

fn wants_csv(request: &Request) -> Result<bool, StatsError> {
    let Query(export) = Query::<Export>::try_from_uri(request.uri())?;
    match export.format.map(|f| f.to_ascii_lowercase()).as_deref() {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(_) => Err(StatsError::BadQuery(BadRange {
            field: "format",
            reason: "format must be json or csv".into(),
        })),
    }
}

pub async fn export(request: Request, next: Next) -> Result<Response, StatsError> {
    if !wants_csv(&request)? {
        return Ok(next.run(request).await);
    }
    let route = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("stats")
        .to_string();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return Ok(response);
    }
    let bytes = match axum::body::to_bytes(response.into_body(), MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return Ok(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let range = match (body["from"].as_str(), body["to"].as_str()) {
        (Some(from), Some(to)) => format!("-{from}-{to}"),
        _ => String::new(),
    };
    let mut response = Response::new(Body::from(csv::to_csv(&route, &body)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    // The route is one of ours and the dates are YYYY-MM-DD: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"usage-{route}{range}.csv\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(uri: &str) -> Result<bool, StatsError> {
        wants_csv(&Request::builder().uri(uri).body(Body::empty()).unwrap())
    }

    #[test]
    fn the_format_parameter_is_found_among_others() {
        assert!(csv("/daily?from=2026-11-01&format=CSV").unwrap());
        assert!(!csv("/daily?format=json").unwrap());
        assert!(!csv("/daily?from=2026-11-01").unwrap());
        assert!(csv("/daily?format=xml").is_err());
        assert!(csv("/daily?format").is_err(), "empty");
    }
}

//! `?format=csv` on every stats route: a handler's answer ([`Answer`]) is its JSON, or its table
//! (`domain::report::csv::Table`, typed rows written by the `csv` crate) with a
//! `Content-Disposition` that names the file after the route and the range. `format=json` (or
//! none) is the JSON.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::query::Export;
use super::StatsError;
use crate::domain::report::csv::Table;
use crate::domain::report::dates::BadRange;

/// What `?format=` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Export {
    /// The format asked for (case does not matter), or a 422 naming `format`.
    pub fn format(&self) -> Result<Format, StatsError> {
        match self
            .format
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(StatsError::BadQuery(BadRange {
                field: "format",
                reason: "format must be json or csv".into(),
            })),
        }
    }
}

/// A report's answer in the format asked for.
pub struct Answer<T>(pub Format, pub T);

impl<T: Serialize + Table> IntoResponse for Answer<T> {
    fn into_response(self) -> Response {
        let Answer(format, answer) = self;
        if format == Format::Json {
            return Json(answer).into_response();
        }
        let range = answer
            .span()
            .map_or(String::new(), |s| format!("-{}-{}", s.from, s.to));
        let name = format!("usage-{}{range}.csv", answer.file_name());
        let mut response = Response::new(Body::from(answer.csv()));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        // The route is one of ours (or a feature name) and the dates are YYYY-MM-DD: always a
        // valid header value.
        if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(text: Option<&str>) -> Result<Format, StatsError> {
        Export {
            format: text.map(String::from),
        }
        .format()
    }

    #[test]
    fn the_format_is_json_or_csv_in_any_case() {
        assert_eq!(format(Some("CSV")).unwrap(), Format::Csv);
        assert_eq!(format(Some("json")).unwrap(), Format::Json);
        assert_eq!(format(None).unwrap(), Format::Json);
        assert!(format(Some("xml")).is_err());
        assert!(format(Some("")).is_err(), "empty");
    }
}

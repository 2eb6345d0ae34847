//! The query and path parameters of the stats routes, as the handlers read them and the OpenAPI
//! description names them. Values arrive as text and are checked by the report rules
//! (`report::dates`, `report::site`), so that each bad value is a 422 naming its parameter; a
//! query that cannot be read at all (a parameter given twice) is a 422 too.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::StatsError;
use crate::domain::report::dates::BadRange;

/// The query string as `T`, or a 422.
#[derive(FromRequestParts)]
#[from_request(via(Query), rejection(StatsError))]
pub struct QueryOf<T>(pub T);

/// The path parameters as `T`, or a 422.
#[derive(FromRequestParts)]
#[from_request(via(Path), rejection(StatsError))]
pub struct PathOf<T>(pub T);

impl From<QueryRejection> for StatsError {
    fn from(rejection: QueryRejection) -> Self {
        StatsError::BadQuery(BadRange {
            field: "query",
            reason: rejection.body_text(),
        })
    }
}

impl From<PathRejection> for StatsError {
    fn from(rejection: PathRejection) -> Self {
        StatsError::BadQuery(BadRange {
            field: "name",
            reason: rejection.body_text(),
        })
    }
}

/// The days a report covers, both included: local days of the report time zone
/// (`report_timezone`), or with `site` of that site's zone if it has one (`site_timezones`);
/// each answer names its zone in `time_zone`. At most 366.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// The first day, `YYYY-MM-DD`. Without it: the 30 days ending `to`.
    #[param(format = Date, example = "2026-11-01")]
    pub from: Option<String>,
    /// The last day, `YYYY-MM-DD`. Without it: today (or `from`, if later).
    #[param(format = Date, example = "2026-11-30")]
    pub to: Option<String>,
}

/// `?compare=` of the range routes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Compare {
    /// `previous`: the answer also carries `previous`, the same report over the period of the
    /// same length that ends the day before `from`. Without it, no `previous`.
    #[param(value_type = Option<CompareWith>, inline)]
    pub compare: Option<String>,
}

/// What `?compare=` may say.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum CompareWith {
    Previous,
}

impl Compare {
    /// Whether the previous period is asked for, or a 422 naming `compare`.
    pub fn previous(&self) -> Result<bool, BadRange> {
        match self.compare.as_deref() {
            None | Some("") => Ok(false),
            Some("previous") => Ok(true),
            Some(other) => Err(BadRange {
                field: "compare",
                reason: format!("compare may only be \"previous\", got {other:?}"),
            }),
        }
    }
}

/// One site's figures; all sites' without it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SiteParam {
    /// A site id (`[a-z0-9_.:-]{1,64}`), or empty for pages that name no site.
    #[param(pattern = r"^[a-z0-9_.:-]{0,64}$", example = "ide")]
    pub site: Option<String>,
}

/// `?limit=` of `/sessions`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionsLimit {
    /// Sessions answered at most, newest first (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
}

/// `?limit=` of `/errors`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErrorsLimit {
    /// Error groups answered at most, most frequent first (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

/// `?limit=` of `/features`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeaturesLimit {
    /// Features answered at most, most used first (default 50); the rest is `other`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

/// `?format=` of every stats route: JSON or CSV (`export.rs`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Export {
    /// `csv`: the report's table as CSV, with `Content-Disposition: attachment`. Default `json`.
    #[param(value_type = Option<ExportFormat>, inline)]
    pub format: Option<String>,
}

/// What `?format=` may say (case does not matter).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
}

/// The feature of `/features/{name}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FeatureName {
    /// A feature name, `[a-z0-9_.:-]{1,64}`.
    #[param(pattern = r"^[a-z0-9_.:-]{1,64}$", example = "debugger")]
    pub name: String,
}

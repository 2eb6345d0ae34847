//! The features report (`/api/v1/stats/features`): uses of each feature over the range, the most
//! used first ([`super::shape::features`]), and the uses of those not listed; its CSV table is
//! one row per feature.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::Span;
use super::model::FeatureCount;
use super::top::Other;

#[derive(Debug, Serialize, ToSchema)]
pub struct FeaturesAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// Features by uses, most used first: the `limit` most used.
    pub features: Vec<FeatureCount>,
    /// The uses of the features not listed (and of the days' folded "(other)" rows).
    pub other: Other,
    /// With `compare=previous` only: the same report over the period of the same length that
    /// ends the day before `from` (without a `previous` of its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub previous: Option<Box<FeaturesAnswer>>,
}

/// A feature of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    name: Text<'a>,
    sessions: u64,
    uses: u64,
}

impl Table for FeaturesAnswer {
    fn file_name(&self) -> &str {
        "features"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &["name", "sessions", "uses"],
            self.features.iter().map(|f| Row {
                name: Text(&f.name),
                sessions: f.sessions,
                uses: f.uses,
            }),
        )
    }
}

//! The JSON answers of the stats routes: the shaped figures of `report::model` with the range and
//! the freshness they were read with. The OpenAPI description is generated from these types.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::report::dates::DateRange;
use crate::report::feature_data::FeatureData;
use crate::report::model::{
    Clients, ClientsOther, DailyPoint, ErrorGroup, FeatureCount, LiveNow, ProgramStats,
    RecentSession, Totals,
};
use crate::report::top::Other;
use crate::report::ReportSettings;

/// The days an answer covers, both included (UTC).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl From<&DateRange> for Span {
    fn from(range: &DateRange) -> Self {
        Span {
            from: range.from,
            to: range.to,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DailyAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// One point per day of the range, in order; days without sessions are zeros.
    pub days: Vec<DailyPoint>,
    pub totals: Totals,
    /// When the rollup last recomputed any day; null before its first run.
    pub rolled_up_at: Option<DateTime<Utc>>,
    /// Days answered from the raw rows: always empty now (every figure is read from the stored
    /// summaries, see `summaries_as_of`); kept for clients that read it.
    pub live_days: Vec<NaiveDate>,
    /// The retention in force (what the dashboard shows under its status line).
    pub retention: RetentionInForce,
}

/// The retention in force (`retention_days`, `summary_text_retention_days`) and the first day
/// each keeps today: raw rows (sessions, sessions list) and summary free text (error examples,
/// feature data); counts are kept for every day.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct RetentionInForce {
    pub raw_rows_days: u32,
    pub raw_rows_from: NaiveDate,
    pub summary_text_days: u32,
    pub summary_text_from: NaiveDate,
}

impl RetentionInForce {
    pub fn of(settings: &ReportSettings, today: NaiveDate) -> Self {
        RetentionInForce {
            raw_rows_days: settings.retention_days,
            raw_rows_from: settings.first_kept_day(today),
            summary_text_days: settings.summary_text_retention_days,
            summary_text_from: settings.first_day_with_texts(today),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionsAnswer {
    /// The latest sessions by start, newest first.
    pub sessions: Vec<RecentSession>,
}

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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub programs: ProgramStats,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub clients: Clients,
    /// Per breakdown, the sessions of the values not listed.
    pub other: ClientsOther,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LiveAnswer {
    #[serde(flatten)]
    pub now: LiveNow,
    /// The server's time of the answer.
    pub at: DateTime<Utc>,
    pub heartbeat_interval_secs: u64,
    /// Sessions seen since this time (two heartbeat intervals before `at`) are counted.
    pub seen_since: DateTime<Utc>,
    /// The sessions of the sites not listed (`sites` lists the 20 with the most).
    pub other: Other,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorsAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    /// Failed runs of the sessions started in the range, in every group.
    pub failed_runs: u64,
    /// The most frequent groups.
    pub errors: Vec<ErrorGroup>,
    /// The failed runs of the groups not listed.
    pub other: Other,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureDataAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    pub feature: String,
    /// More distinct data values than a drill-down reads: the counts are of the most frequent.
    pub truncated: bool,
    #[serde(flatten)]
    pub data: FeatureData,
    /// The feature's events with data whose texts were not read (beyond the most frequent).
    pub other: Other,
}

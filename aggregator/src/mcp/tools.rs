//! The MCP tools: one per stats report, each taking the route's parameters and answering the
//! route's JSON (`http::stats::reports::*_answer`, the functions the routes call), so that a tool
//! and its route answer alike, within the same limits.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, ContentBlock, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{schemars, tool, tool_handler, tool_router, ErrorData, ServerHandler};
use serde::{Deserialize, Serialize};

use crate::http::stats::query::{
    Compare, ErrorsLimit, FeatureName, FeaturesLimit, Range, SessionsLimit, SiteParam,
};
use crate::http::stats::StatsError;
use crate::http::stats::{journey, reports, time};
use crate::http::ErrorBody;
use crate::report::Source;

/// What the server tells the agent at the start (MCP `instructions`).
const INSTRUCTIONS: &str = "Read-only usage reports of a self-hosted usage tracker (an online \
BASIC IDE and its sites): visits per day, who is on now, program runs and their errors, the \
learners' journey (first runs, successes, recoveries, a funnel), features used and their data, \
browsers and devices, where a session's time goes, recent sessions. Each tool answers the JSON of \
the stats API route of the same name (docs/reports.md). Dates are local days of the server's \
report time zone (`time_zone` in each answer, UTC unless configured), YYYY-MM-DD, both ends \
included, at most 366 days; without them, the 30 days ending today. `site` narrows to one site; \
`compare: \"previous\"` adds the period of the same length before (daily, programs, errors, \
features, clients, journey, funnel).";

/// `from`, `to` and `site`: the parameters of the reports without `compare` (hourly, time).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeArgs {
    /// The first day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: the 30 days ending `to`.
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: today (or `from`, if later).
    pub to: Option<String>,
    /// One site's figures (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
}

impl RangeArgs {
    fn split(self) -> (Range, SiteParam) {
        split(self.from, self.to, self.site)
    }
}

/// The route's parameters of a range and a site. (The argument types repeat the fields rather
/// than flatten `RangeArgs`: serde cannot refuse unknown fields of a flattened struct.)
fn split(from: Option<String>, to: Option<String>, site: Option<String>) -> (Range, SiteParam) {
    (Range { from, to }, SiteParam { site })
}

/// [`RangeArgs`] and `compare`: the parameters of the range reports that compare.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareArgs {
    /// The first day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: the 30 days ending `to`.
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: today (or `from`, if later).
    pub to: Option<String>,
    /// One site's figures (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
    /// "previous": the answer also carries `previous`, the same report over the period of the
    /// same length that ends the day before `from` (as `?compare=previous`).
    pub compare: Option<String>,
}

impl CompareArgs {
    fn split(self) -> (Range, SiteParam, Compare) {
        let (range, site) = split(self.from, self.to, self.site);
        (range, site, compare(self.compare))
    }
}

fn compare(compare: Option<String>) -> Compare {
    Compare { compare }
}

/// `site` alone.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteArgs {
    /// One site's figures (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorsArgs {
    /// The first day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: the 30 days ending `to`.
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: today (or `from`, if later).
    pub to: Option<String>,
    /// One site's errors (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
    /// Error groups answered at most, most frequent first: 1 to 100, default 20.
    pub limit: Option<u32>,
    /// "previous": the answer also carries `previous`, the same report over the period of the
    /// same length that ends the day before `from` (as `?compare=previous`).
    pub compare: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeaturesArgs {
    /// The first day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: the 30 days ending `to`.
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: today (or `from`, if later).
    pub to: Option<String>,
    /// One site's features (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
    /// Features answered at most, most used first: 1 to 200, default 50; the rest is `other`.
    pub limit: Option<u32>,
    /// "previous": the answer also carries `previous`, the same report over the period of the
    /// same length that ends the day before `from` (as `?compare=previous`).
    pub compare: Option<String>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsArgs {
    /// One site's sessions (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
    /// Sessions answered at most, newest first: 1 to 500, default 50.
    pub limit: Option<u32>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureDataArgs {
    /// The feature, as `features` names it ([a-z0-9_.:-]{1,64}).
    pub name: String,
    /// The first day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: the 30 days ending `to`.
    pub from: Option<String>,
    /// The last day, YYYY-MM-DD (a local day of the report time zone, or of the site's own zone with `site`). Without it: today (or `from`, if later).
    pub to: Option<String>,
    /// One site's data (a site id, or "" for pages that name no site); all sites' without it.
    pub site: Option<String>,
}

/// The server: the reports' source, opened read-only.
#[derive(Clone)]
pub struct Tools {
    source: Source,
}

impl Tools {
    pub fn new(source: Source) -> Tools {
        Tools { source }
    }
}

#[tool_router]
impl Tools {
    #[tool(
        description = "Daily figures of the range (sessions, visitors, active time, runs, errors, \
                       features): one point per day, gap-free, and their totals; as GET \
                       /api/v1/stats/daily.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn daily(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site, compare) = args.split();
        answer(reports::daily_answer(self.source.clone(), range, site, compare).await)
    }

    #[tool(
        description = "Sessions by the local hour they started (24 points a day, in the answer's \
                       time_zone, with visitors, \
                       runs, errors and times) for a range of at most 7 days; without dates, \
                       today alone; as GET /api/v1/stats/hourly.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn hourly(
        &self,
        Parameters(args): Parameters<RangeArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site) = args.split();
        answer(reports::hourly_answer(self.source.clone(), range, site).await)
    }

    #[tool(
        description = "Where the time of a session goes, per day: average visible, active \
                       (editing), running (program run time) and idle-but-visible seconds per \
                       session, and the share of sessions without any input; as GET \
                       /api/v1/stats/time.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn time(
        &self,
        Parameters(args): Parameters<RangeArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site) = args.split();
        answer(time::time_answer(self.source.clone(), range, site).await)
    }

    #[tool(
        description = "Who is on each site now (sessions seen within two heartbeat intervals), \
                       and their program runs and errors in the last 5 and 30 minutes; as GET \
                       /api/v1/stats/live.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn live(
        &self,
        Parameters(args): Parameters<SiteArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let site = SiteParam { site: args.site };
        answer(reports::live_answer(self.source.clone(), site).await)
    }

    #[tool(
        description = "Program runs of the sessions started in the range: outcomes, run times \
                       and their histogram; as GET /api/v1/stats/programs.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn programs(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site, compare) = args.split();
        answer(reports::programs_answer(self.source.clone(), range, site, compare).await)
    }

    #[tool(
        description = "What the sessions started in the range did with programs: shares with a \
                       run and with a successful run, time to the first run and first success \
                       (p50, p90), failed runs before the first success, sessions that recovered \
                       from an error; as GET /api/v1/stats/journey.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn journey(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site, compare) = args.split();
        answer(journey::journey_answer(self.source.clone(), range, site, compare).await)
    }

    #[tool(
        description = "Sessions started in the range that reached each step of the configured \
                       funnel in order (default: opened, run, success, feature); as GET \
                       /api/v1/stats/funnel.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn funnel(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site, compare) = args.split();
        answer(journey::funnel_answer(self.source.clone(), range, site, compare).await)
    }

    #[tool(
        description = "The most frequent program errors of the sessions started in the range, \
                       grouped across line numbers, each with its latest message; as GET \
                       /api/v1/stats/errors.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn errors(
        &self,
        Parameters(args): Parameters<ErrorsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site) = split(args.from, args.to, args.site);
        let limit = ErrorsLimit {
            limit: args.limit.map(|n| n.to_string()),
        };
        let compare = compare(args.compare);
        answer(reports::errors_answer(self.source.clone(), range, site, limit, compare).await)
    }

    #[tool(
        description = "Uses of each feature over the range, most used first; as GET \
                       /api/v1/stats/features.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn features(
        &self,
        Parameters(args): Parameters<FeaturesArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site) = split(args.from, args.to, args.site);
        let limit = FeaturesLimit {
            limit: args.limit.map(|n| n.to_string()),
        };
        let compare = compare(args.compare);
        answer(reports::features_answer(self.source.clone(), range, site, limit, compare).await)
    }

    #[tool(
        description = "The most frequent values of each key of one feature's data over the range \
                       (bounded; `truncated` says when more values exist); as GET \
                       /api/v1/stats/features/{name}.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn feature_data(
        &self,
        Parameters(args): Parameters<FeatureDataArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site) = split(args.from, args.to, args.site);
        let feature = FeatureName { name: args.name };
        answer(reports::feature_data_answer(self.source.clone(), feature, range, site).await)
    }

    #[tool(
        description = "Sessions of the range by browser, operating system and device, each \
                       largest first; as GET /api/v1/stats/clients.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn clients(
        &self,
        Parameters(args): Parameters<CompareArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let (range, site, compare) = args.split();
        answer(reports::clients_answer(self.source.clone(), range, site, compare).await)
    }

    #[tool(
        description = "The latest sessions, newest first, without identifiers: start, whether \
                       ended, duration, active time, runs, lines, errors, browser, OS, device; \
                       as GET /api/v1/stats/sessions.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn sessions(
        &self,
        Parameters(args): Parameters<SessionsArgs>,
    ) -> Result<CallToolResult, ErrorData> {
        let site = SiteParam { site: args.site };
        let limit = SessionsLimit {
            limit: args.limit.map(|n| n.to_string()),
        };
        answer(reports::sessions_answer(self.source.clone(), limit, site).await)
    }
}

#[tool_handler]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "usage-aggregator",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(INSTRUCTIONS)
    }
}

/// A report's answer as the tool's result: its JSON (structured, and as text for clients that
/// read only text), or a tool error the agent reads, shaped as the API's error body.
fn answer<T: Serialize>(outcome: Result<T, StatsError>) -> Result<CallToolResult, ErrorData> {
    match outcome {
        Ok(answer) => serde_json::to_value(answer)
            .map(CallToolResult::structured)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None)),
        Err(StatsError::BadQuery(bad)) => {
            let body = ErrorBody::new(bad.reason, Some(bad.field));
            serde_json::to_value(body)
                .map(CallToolResult::structured_error)
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))
        }
        Err(failure) => {
            if let StatsError::Store(cause) = &failure {
                tracing::warn!(error = %cause, "MCP tool: the report failed");
            }
            Ok(CallToolResult::error(vec![ContentBlock::text(
                failure.to_string(),
            )]))
        }
    }
}

//! The figures reports are made of, as the store reads them and the stats API serves them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::filtered::FilteredTotals;

/// One stored row of `daily_usage_summary`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyRow {
    pub date: NaiveDate,
    pub unique_visitors: u64,
    pub sessions: u64,
    pub programs_run: u64,
    pub lines_executed: u64,
    pub avg_duration_seconds: u64,
    pub avg_active_seconds: u64,
    pub total_duration_seconds: u64,
    pub total_active_seconds: u64,
    pub program_errors: u64,
    pub feature_uses: u64,
}

/// What a day of the series and the range as a whole both show, in the order the API serves it
/// (after the fields of each).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub avg_duration_seconds: u64,
    pub avg_active_seconds: u64,
    pub programs_run: u64,
    pub program_errors: u64,
    /// Share of runs without an error, 0..=1; null without runs.
    pub success_rate: Option<f64>,
    pub lines_executed: u64,
    pub feature_uses: u64,
}

/// One day of the series the API serves: a stored row, or zeros for a day without sessions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DailyPoint {
    pub date: NaiveDate,
    pub unique_visitors: u64,
    pub sessions: u64,
    #[serde(flatten)]
    pub figures: Figures,
    /// The day's sessions filtered instead of stored, by reason (in none of its other figures).
    pub filtered: FilteredTotals,
}

/// The range as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Totals {
    pub sessions: u64,
    /// Sum of the daily unique visitors: hashes change every day by design, so a person coming
    /// back on two days counts twice.
    pub visitor_days: u64,
    #[serde(flatten)]
    pub figures: Figures,
}

/// A recent session, as the deployment's "recent sessions" query shows it (no id, no hash).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RecentSession {
    pub started: DateTime<Utc>,
    pub ended: bool,
    pub duration_seconds: Option<u64>,
    pub active_seconds: Option<u64>,
    pub programs_run: u64,
    pub lines_executed: u64,
    pub errors: u64,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FeatureCount {
    pub name: String,
    pub uses: u64,
    /// Sessions that used the feature at least once.
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ClientCount {
    pub name: String,
    pub sessions: u64,
    /// Of all sessions in the range, 0..=1.
    pub share: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Clients {
    pub browsers: Vec<ClientCount>,
    pub os: Vec<ClientCount>,
    pub devices: Vec<ClientCount>,
}

/// What each client breakdown leaves out (sessions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct ClientsOther {
    pub browsers: super::top::Other,
    pub os: super::top::Other,
    pub devices: super::top::Other,
}

/// Program runs of sessions started in a range (or on one day, of one site: a summary row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramTotals {
    pub runs: u64,
    pub failed: u64,
    /// Runs whose outcome the old deployment did not record.
    pub unknown: u64,
    pub lines_executed: u64,
    pub execution_ms_total: u64,
    pub execution_ms_max: u64,
    /// (bucket, runs): bucket b holds run times in [2^b, 2^(b+1)) ms; bucket 0 also holds 0 ms.
    pub buckets: Vec<(u32, u64)>,
}

impl ProgramTotals {
    /// The run-time bucket of `ms`: floor(log2(max(ms, 1))).
    pub fn bucket_of(ms: u64) -> u32 {
        ms.max(1).ilog2()
    }

    /// Adds the runs of other sessions (other days, other sites): counts and run times add up,
    /// the longest run is the longer, bucket counts add up per bucket (kept in bucket order).
    pub fn add(&mut self, other: &ProgramTotals) {
        self.runs += other.runs;
        self.failed += other.failed;
        self.unknown += other.unknown;
        self.lines_executed += other.lines_executed;
        self.execution_ms_total += other.execution_ms_total;
        self.execution_ms_max = self.execution_ms_max.max(other.execution_ms_max);
        self.add_buckets(other.buckets.iter().copied());
    }

    /// Adds (bucket, runs) pairs to the buckets.
    pub fn add_buckets(&mut self, pairs: impl IntoIterator<Item = (u32, u64)>) {
        let mut by_bucket: std::collections::BTreeMap<u32, u64> =
            self.buckets.iter().copied().collect();
        for (bucket, runs) in pairs {
            *by_bucket.entry(bucket).or_default() += runs;
        }
        self.buckets = by_bucket.into_iter().collect();
    }

    /// The sum of `parts`.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a ProgramTotals>) -> ProgramTotals {
        let mut total = ProgramTotals::default();
        for part in parts {
            total.add(part);
        }
        total
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProgramStats {
    pub runs: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub unknown: u64,
    pub success_rate: Option<f64>,
    pub lines_executed: u64,
    pub avg_lines_executed: Option<u64>,
    pub execution_ms: ExecutionMs,
    pub histogram: Vec<HistogramBucket>,
}

/// Run times. Percentiles are upper bounds of power-of-two buckets (never above the maximum).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExecutionMs {
    pub avg: Option<u64>,
    pub p50: Option<u64>,
    pub p95: Option<u64>,
    pub max: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistogramBucket {
    /// Run times below this many ms (and at or above the previous bucket's bound).
    pub below_ms: u64,
    pub runs: u64,
}

/// What one site shows right now, as the store reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSite {
    /// `site_id` ('' for pages that name no site).
    pub site: String,
    /// Open sessions that sent a batch within the live window.
    pub sessions: u64,
    pub runs_5m: u64,
    pub errors_5m: u64,
    pub runs_30m: u64,
    pub errors_30m: u64,
}

impl LiveSite {
    /// Sessions per site and run counts per site (the store's two reads) into one row per site
    /// that has either, by site.
    pub fn merge(sessions: Vec<(String, u64)>, runs: Vec<LiveSite>) -> Vec<LiveSite> {
        let mut by_site: std::collections::BTreeMap<String, LiveSite> =
            runs.into_iter().map(|r| (r.site.clone(), r)).collect();
        for (site, count) in sessions {
            by_site
                .entry(site.clone())
                .or_insert_with(|| LiveSite {
                    site,
                    ..LiveSite::default()
                })
                .sessions = count;
        }
        by_site.into_values().collect()
    }
}

/// Runs and failed runs in a span of recent minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecentRuns {
    pub runs: u64,
    pub errors: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LiveSiteView {
    pub site: String,
    pub sessions: u64,
    pub programs_5m: RecentRuns,
    pub programs_30m: RecentRuns,
}

/// The "now" view: totals over every site, and each site, most sessions first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LiveNow {
    pub sessions: u64,
    pub programs_5m: RecentRuns,
    pub programs_30m: RecentRuns,
    pub sites: Vec<LiveSiteView>,
}

/// Failed runs of one message in one session, as the store reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRuns {
    pub message: String,
    pub session_id: String,
    pub runs: u64,
    pub last_seen: DateTime<Utc>,
}

/// One kind of program error over a range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ErrorGroup {
    /// The message with its numbers (line numbers, above all) replaced by `#`.
    pub error: String,
    /// The latest message of the group as it was stored (cut to 200 characters).
    pub example: String,
    pub runs: u64,
    pub sessions: u64,
    pub last_seen: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(success_rate: Option<f64>) -> Figures {
        Figures {
            avg_duration_seconds: 4,
            avg_active_seconds: 5,
            programs_run: 6,
            program_errors: 1,
            success_rate,
            lines_executed: 7,
            feature_uses: 8,
        }
    }

    #[test]
    fn shared_figures_serve_flat_in_the_api_order() {
        let point = DailyPoint {
            date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            unique_visitors: 2,
            sessions: 3,
            figures: figures(Some(0.8333)),
            filtered: FilteredTotals::default(),
        };
        assert_eq!(
            serde_json::to_string(&point).unwrap(),
            r#"{"date":"2026-11-27","unique_visitors":2,"sessions":3,"avg_duration_seconds":4,"avg_active_seconds":5,"programs_run":6,"program_errors":1,"success_rate":0.8333,"lines_executed":7,"feature_uses":8,"filtered":{"automation":0,"crawler":0}}"#
        );
        let totals = Totals {
            sessions: 3,
            visitor_days: 2,
            figures: figures(None),
        };
        assert_eq!(
            serde_json::to_string(&totals).unwrap(),
            r#"{"sessions":3,"visitor_days":2,"avg_duration_seconds":4,"avg_active_seconds":5,"programs_run":6,"program_errors":1,"success_rate":null,"lines_executed":7,"feature_uses":8}"#
        );
    }

    #[test]
    fn live_sites_merge_sessions_and_runs_by_site() {
        let runs = |site: &str, runs_30m| LiveSite {
            site: site.into(),
            runs_30m,
            ..LiveSite::default()
        };
        let merged = LiveSite::merge(
            vec![("ide".into(), 3), ("docs".into(), 1)],
            vec![runs("ide", 5), runs("old", 4)],
        );
        let sites: Vec<(&str, u64, u64)> = merged
            .iter()
            .map(|s| (s.site.as_str(), s.sessions, s.runs_30m))
            .collect();
        assert_eq!(sites, vec![("docs", 1, 0), ("ide", 3, 5), ("old", 0, 4)]);
    }

    #[test]
    fn program_totals_add_sums_the_longest_run_and_buckets() {
        let part = |runs, max, buckets: Vec<(u32, u64)>| ProgramTotals {
            runs,
            failed: 1,
            unknown: 0,
            lines_executed: 10 * runs,
            execution_ms_total: 100 * runs,
            execution_ms_max: max,
            buckets,
        };
        let total = ProgramTotals::sum(&[
            part(3, 700, vec![(0, 1), (9, 2)]),
            part(2, 90, vec![(6, 2)]),
            part(1, 1, vec![(0, 1)]),
        ]);
        assert_eq!(
            total,
            ProgramTotals {
                runs: 6,
                failed: 3,
                unknown: 0,
                lines_executed: 60,
                execution_ms_total: 600,
                execution_ms_max: 700,
                buckets: vec![(0, 2), (6, 2), (9, 2)],
            }
        );
        assert_eq!(ProgramTotals::sum(&[]), ProgramTotals::default());
        assert_eq!(
            [0, 1, 2, 3, 1000].map(ProgramTotals::bucket_of),
            [0, 0, 1, 1, 9]
        );
    }
}

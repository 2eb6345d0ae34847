//! The journey report (`/api/v1/stats/journey`): what the sessions started in the range did with
//! programs. Share of sessions with a run and with a successful run, time from a session's start
//! to its first run and first success (median and p90 of stored power-of-two-second buckets),
//! failed runs before the first success, and sessions that recovered from an error (a failed run,
//! then a successful one). The rollup stores each day's counts per site (`daily_site_journey`,
//! `daily_site_journey_times`, V13) from the pure fold in [`fold`]; the route adds stored rows.

pub mod fold;
pub mod steps;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table};
use super::dates::Span;
use super::shape::{bucket_bound, percentile};

/// A time distribution's name in `daily_site_journey_times.measure`.
pub const FIRST_RUN: &str = "first_run";
pub const FIRST_SUCCESS: &str = "first_success";

/// The journey counts of some sessions (of a day and site as stored, or added up over a range).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JourneyTotals {
    pub sessions: u64,
    /// Sessions with at least one run.
    pub with_run: u64,
    /// Sessions with at least one successful run.
    pub with_success: u64,
    /// Sessions with at least one failed run.
    pub with_failure: u64,
    /// Sessions with a failed run followed by a successful one.
    pub recovered: u64,
    /// Failed runs before the first success, over the sessions with a success.
    pub failed_before_success: u64,
    /// Sessions whose first success came after at least one failed run.
    pub succeeded_after_failure: u64,
    /// (bucket, sessions): bucket b holds [2^b, 2^(b+1)) seconds from start to the first run;
    /// bucket 0 also 0 s. In bucket order.
    pub first_run: Vec<(u32, u64)>,
    /// As `first_run`, to the first successful run.
    pub first_success: Vec<(u32, u64)>,
}

/// The bucket of `seconds`: floor(log2(max(seconds, 1))).
pub fn bucket_of(seconds: u64) -> u32 {
    seconds.max(1).ilog2()
}

fn add_buckets(into: &mut Vec<(u32, u64)>, pairs: impl IntoIterator<Item = (u32, u64)>) {
    let mut by_bucket: std::collections::BTreeMap<u32, u64> = into.iter().copied().collect();
    for (bucket, n) in pairs {
        *by_bucket.entry(bucket).or_default() += n;
    }
    *into = by_bucket.into_iter().collect();
}

impl JourneyTotals {
    /// Counts one session's journey in.
    pub fn add_session(&mut self, s: &fold::SessionJourney) {
        self.sessions += 1;
        self.with_run += u64::from(s.first_run.is_some());
        self.with_failure += u64::from(s.failed);
        self.recovered += u64::from(s.recovered);
        if let Some(seconds) = s.first_run {
            add_buckets(&mut self.first_run, [(bucket_of(seconds), 1)]);
        }
        if let Some(seconds) = s.first_success {
            self.with_success += 1;
            self.failed_before_success += s.failed_before_success;
            self.succeeded_after_failure += u64::from(s.failed_before_success > 0);
            add_buckets(&mut self.first_success, [(bucket_of(seconds), 1)]);
        }
    }

    /// Adds other sessions' counts (other days, other sites: a session has one of each).
    pub fn add(&mut self, other: &JourneyTotals) {
        self.sessions += other.sessions;
        self.with_run += other.with_run;
        self.with_success += other.with_success;
        self.with_failure += other.with_failure;
        self.recovered += other.recovered;
        self.failed_before_success += other.failed_before_success;
        self.succeeded_after_failure += other.succeeded_after_failure;
        add_buckets(&mut self.first_run, other.first_run.iter().copied());
        add_buckets(&mut self.first_success, other.first_success.iter().copied());
    }

    /// Adds stored (measure, bucket, sessions) rows; an unknown measure is left out.
    pub fn add_times(&mut self, measure: &str, bucket: u32, sessions: u64) {
        match measure {
            FIRST_RUN => add_buckets(&mut self.first_run, [(bucket, sessions)]),
            FIRST_SUCCESS => add_buckets(&mut self.first_success, [(bucket, sessions)]),
            _ => {}
        }
    }
}

/// A share rounded to 4 places; none of nothing.
fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

/// Seconds from a session's start: the upper bound of the power-of-two bucket that holds the
/// median and the 90th percentile (so `p50: 64` reads "half the sessions within 64 s").
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Seconds {
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    /// Sessions measured.
    pub sessions: u64,
}

impl Seconds {
    fn of(buckets: &[(u32, u64)]) -> Seconds {
        Seconds {
            p50: percentile(buckets, 0.5),
            p90: percentile(buckets, 0.9),
            sessions: buckets.iter().map(|(_, n)| n).sum(),
        }
    }
}

/// One bar of a time histogram.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct SecondsBucket {
    /// The bucket holds times below this many seconds (and at or above half of it, but for the
    /// first, which starts at 0).
    pub below_seconds: u64,
    pub sessions: u64,
}

/// The journey figures of some sessions.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JourneyStats {
    pub sessions: u64,
    pub sessions_with_run: u64,
    pub sessions_with_success: u64,
    /// `sessions_with_run / sessions` (4 places); null without sessions.
    pub run_share: Option<f64>,
    pub success_share: Option<f64>,
    pub sessions_with_failure: u64,
    /// Sessions with a failed run followed by a successful one.
    pub recovered: u64,
    /// `recovered / sessions_with_failure`.
    pub recovered_share: Option<f64>,
    /// Failed runs before the first success, over the sessions with a success.
    pub failed_before_success: u64,
    /// `failed_before_success / sessions_with_success`, 2 places.
    pub avg_failed_before_success: Option<f64>,
    /// Sessions whose first success came after at least one failed run.
    pub succeeded_after_failure: u64,
    pub to_first_run: Seconds,
    pub to_first_success: Seconds,
    pub first_run_histogram: Vec<SecondsBucket>,
    pub first_success_histogram: Vec<SecondsBucket>,
}

fn histogram(buckets: &[(u32, u64)]) -> Vec<SecondsBucket> {
    buckets
        .iter()
        .map(|&(b, sessions)| SecondsBucket {
            below_seconds: bucket_bound(b),
            sessions,
        })
        .collect()
}

impl From<&JourneyTotals> for JourneyStats {
    fn from(t: &JourneyTotals) -> Self {
        JourneyStats {
            sessions: t.sessions,
            sessions_with_run: t.with_run,
            sessions_with_success: t.with_success,
            run_share: share(t.with_run, t.sessions),
            success_share: share(t.with_success, t.sessions),
            sessions_with_failure: t.with_failure,
            recovered: t.recovered,
            recovered_share: share(t.recovered, t.with_failure),
            failed_before_success: t.failed_before_success,
            avg_failed_before_success: (t.with_success > 0).then(|| {
                (t.failed_before_success as f64 / t.with_success as f64 * 100.0).round() / 100.0
            }),
            succeeded_after_failure: t.succeeded_after_failure,
            to_first_run: Seconds::of(&t.first_run),
            to_first_success: Seconds::of(&t.first_success),
            first_run_histogram: histogram(&t.first_run),
            first_success_histogram: histogram(&t.first_success),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JourneyAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries were last brought up to date (as on every range route).
    pub summaries_as_of: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub journey: JourneyStats,
    /// With `compare=previous` only: the same figures over the period of the same length that
    /// ends the day before `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousJourney>,
}

/// The previous period's span and journey figures (`compare=previous`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PreviousJourney {
    #[serde(flatten)]
    pub span: Span,
    #[serde(flatten)]
    pub journey: JourneyStats,
}

impl From<JourneyAnswer> for PreviousJourney {
    fn from(answer: JourneyAnswer) -> Self {
        PreviousJourney {
            span: answer.span,
            journey: answer.journey,
        }
    }
}

/// The CSV table: one row of the figures (the histograms stay in the JSON).
#[derive(Serialize)]
struct Row {
    from: NaiveDate,
    to: NaiveDate,
    sessions: u64,
    sessions_with_run: u64,
    sessions_with_success: u64,
    run_share: Option<f64>,
    success_share: Option<f64>,
    sessions_with_failure: u64,
    recovered: u64,
    recovered_share: Option<f64>,
    failed_before_success: u64,
    avg_failed_before_success: Option<f64>,
    succeeded_after_failure: u64,
    first_run_p50_seconds: Option<u64>,
    first_run_p90_seconds: Option<u64>,
    first_success_p50_seconds: Option<u64>,
    first_success_p90_seconds: Option<u64>,
}

const COLUMNS: [&str; 17] = [
    "from",
    "to",
    "sessions",
    "sessions_with_run",
    "sessions_with_success",
    "run_share",
    "success_share",
    "sessions_with_failure",
    "recovered",
    "recovered_share",
    "failed_before_success",
    "avg_failed_before_success",
    "succeeded_after_failure",
    "first_run_p50_seconds",
    "first_run_p90_seconds",
    "first_success_p50_seconds",
    "first_success_p90_seconds",
];

impl Table for JourneyAnswer {
    fn file_name(&self) -> &str {
        "journey"
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        let j = &self.journey;
        let row = Row {
            from: self.span.from,
            to: self.span.to,
            sessions: j.sessions,
            sessions_with_run: j.sessions_with_run,
            sessions_with_success: j.sessions_with_success,
            run_share: j.run_share,
            success_share: j.success_share,
            sessions_with_failure: j.sessions_with_failure,
            recovered: j.recovered,
            recovered_share: j.recovered_share,
            failed_before_success: j.failed_before_success,
            avg_failed_before_success: j.avg_failed_before_success,
            succeeded_after_failure: j.succeeded_after_failure,
            first_run_p50_seconds: j.to_first_run.p50,
            first_run_p90_seconds: j.to_first_run.p90,
            first_success_p50_seconds: j.to_first_success.p50,
            first_success_p90_seconds: j.to_first_success.p90,
        };
        csv::write(&COLUMNS, [row])
    }
}

/// The answer as the `journey` command prints it: one figure a line.
pub fn render(answer: &JourneyAnswer) -> String {
    let j = &answer.journey;
    let pct = |s: Option<f64>| s.map_or("-".to_string(), |s| format!("{:.1} %", s * 100.0));
    let secs = |s: Option<u64>| s.map_or("-".to_string(), |s| format!("{s} s"));
    let avg = j
        .avg_failed_before_success
        .map_or("-".to_string(), |a| format!("{a:.2}"));
    format!(
        "journey {} to {}\n\
         sessions                           {}\n\
         with a run                         {} ({})\n\
         with a successful run              {} ({})\n\
         to the first run, p50 / p90        {} / {}\n\
         to the first success, p50 / p90    {} / {}\n\
         failed runs before a success       {} (avg {avg} per succeeding session)\n\
         with a failed run                  {}\n\
         recovered (failed, then succeeded) {} ({})\n",
        answer.span.from,
        answer.span.to,
        j.sessions,
        j.sessions_with_run,
        pct(j.run_share),
        j.sessions_with_success,
        pct(j.success_share),
        secs(j.to_first_run.p50),
        secs(j.to_first_run.p90),
        secs(j.to_first_success.p50),
        secs(j.to_first_success.p90),
        j.failed_before_success,
        j.sessions_with_failure,
        j.recovered,
        pct(j.recovered_share),
    )
}

#[cfg(test)]
mod tests;

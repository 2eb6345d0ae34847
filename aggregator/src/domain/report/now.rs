//! The "now" view (`/api/v1/stats/live`): who is on each site, and what their programs did in
//! the last minutes. Pure: the store reads per-site counts, these functions merge and total them.

use chrono::{DateTime, Duration, Utc};

use serde::Serialize;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::Span;
use super::model::{LiveNow, LiveSite, LiveSiteView, RecentRuns};
use super::top::Other;

/// Sessions count as "on the site" while their last batch is at most this many heartbeat
/// periods old: one missed heartbeat (a slow network, a throttled tab) does not drop them.
pub const HEARTBEATS_IN_WINDOW: u32 = 2;

/// The cutoffs of a live read at `now`: sessions seen since, runs since 5 and since 30 minutes.
pub fn cutoffs(now: DateTime<Utc>, heartbeat: std::time::Duration) -> [DateTime<Utc>; 3] {
    let window = Duration::from_std(heartbeat * HEARTBEATS_IN_WINDOW).unwrap_or(Duration::zero());
    [
        now - window,
        now - Duration::minutes(5),
        now - Duration::minutes(30),
    ]
}

/// Totals over the sites, and the sites by sessions (then 30-minute runs, then name).
pub fn view(sites: Vec<LiveSite>) -> LiveNow {
    let runs = |runs, errors| RecentRuns { runs, errors };
    let mut views: Vec<LiveSiteView> = sites
        .into_iter()
        .map(|s| LiveSiteView {
            site: s.site,
            sessions: s.sessions,
            programs_5m: runs(s.runs_5m, s.errors_5m),
            programs_30m: runs(s.runs_30m, s.errors_30m),
        })
        .collect();
    views.sort_by(|a, b| {
        (b.sessions, b.programs_30m.runs)
            .cmp(&(a.sessions, a.programs_30m.runs))
            .then_with(|| a.site.cmp(&b.site))
    });
    let total = |f: fn(&LiveSiteView) -> u64| views.iter().map(f).sum::<u64>();
    LiveNow {
        sessions: total(|v| v.sessions),
        programs_5m: runs(
            total(|v| v.programs_5m.runs),
            total(|v| v.programs_5m.errors),
        ),
        programs_30m: runs(
            total(|v| v.programs_30m.runs),
            total(|v| v.programs_30m.errors),
        ),
        sites: views,
    }
}

/// As [`view`], bounded: the `limit` sites with the most sessions; the totals are `totals`
/// (every site, read apart) when given, else the listed sites' own; `Other` is the sessions of
/// the sites not listed.
pub fn view_top(sites: Vec<LiveSite>, totals: Option<LiveSite>, limit: usize) -> (LiveNow, Other) {
    let mut now = view(sites);
    now.sites.truncate(limit);
    if let Some(t) = totals {
        now.sessions = t.sessions;
        now.programs_5m = RecentRuns {
            runs: t.runs_5m,
            errors: t.errors_5m,
        };
        now.programs_30m = RecentRuns {
            runs: t.runs_30m,
            errors: t.errors_30m,
        };
    }
    let listed = now.sites.iter().map(|s| s.sessions).sum();
    let other = Other::of(now.sessions, listed);
    (now, other)
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

/// A site of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    #[serde(rename = "programs_30m.errors")]
    errors_30m: u64,
    #[serde(rename = "programs_30m.runs")]
    runs_30m: u64,
    #[serde(rename = "programs_5m.errors")]
    errors_5m: u64,
    #[serde(rename = "programs_5m.runs")]
    runs_5m: u64,
    sessions: u64,
    site: Text<'a>,
}

const COLUMNS: [&str; 6] = [
    "programs_30m.errors",
    "programs_30m.runs",
    "programs_5m.errors",
    "programs_5m.runs",
    "sessions",
    "site",
];

impl Table for LiveAnswer {
    fn file_name(&self) -> &str {
        "live"
    }

    fn span(&self) -> Option<&Span> {
        None
    }

    fn csv(&self) -> String {
        csv::write(
            &COLUMNS,
            self.now.sites.iter().map(|s| Row {
                errors_30m: s.programs_30m.errors,
                runs_30m: s.programs_30m.runs,
                errors_5m: s.programs_5m.errors,
                runs_5m: s.programs_5m.runs,
                sessions: s.sessions,
                site: Text(&s.site),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn runs(site: &str, r5: u64, e5: u64, r30: u64, e30: u64) -> LiveSite {
        LiveSite {
            site: site.into(),
            sessions: 0,
            runs_5m: r5,
            errors_5m: e5,
            runs_30m: r30,
            errors_30m: e30,
        }
    }

    #[test]
    fn the_window_is_two_heartbeats() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let [seen, five, thirty] = cutoffs(now, std::time::Duration::from_secs(15));
        assert_eq!(
            seen,
            Utc.with_ymd_and_hms(2026, 11, 28, 11, 59, 30).unwrap()
        );
        assert_eq!(five, Utc.with_ymd_and_hms(2026, 11, 28, 11, 55, 0).unwrap());
        assert_eq!(
            thirty,
            Utc.with_ymd_and_hms(2026, 11, 28, 11, 30, 0).unwrap()
        );
    }

    #[test]
    fn sites_merge_and_total() {
        let merged = LiveSite::merge(
            vec![("ide".into(), 3), ("docs".into(), 1)],
            vec![runs("ide", 2, 1, 5, 2), runs("old", 0, 0, 4, 4)],
        );
        let now = view(merged);
        assert_eq!(now.sessions, 4);
        assert_eq!(now.programs_5m, RecentRuns { runs: 2, errors: 1 });
        assert_eq!(now.programs_30m, RecentRuns { runs: 9, errors: 6 });
        let order: Vec<(&str, u64)> = now
            .sites
            .iter()
            .map(|s| (s.site.as_str(), s.sessions))
            .collect();
        assert_eq!(order, vec![("ide", 3), ("docs", 1), ("old", 0)]);
    }

    #[test]
    fn a_bounded_view_lists_the_largest_sites_and_keeps_the_totals() {
        let site = |name: &str, sessions| LiveSite {
            sessions,
            ..runs(name, 0, 0, 1, 0)
        };
        let totals = LiveSite {
            sessions: 10,
            ..runs("", 1, 0, 7, 2)
        };
        let (now, other) = view_top(
            vec![site("a", 1), site("b", 5), site("c", 2)],
            Some(totals),
            2,
        );
        let listed: Vec<&str> = now.sites.iter().map(|s| s.site.as_str()).collect();
        assert_eq!(listed, vec!["b", "c"]);
        assert_eq!((now.sessions, now.programs_30m.runs), (10, 7));
        assert_eq!((other.count, other.share), (3, 0.3));
    }

    #[test]
    fn the_table_is_one_line_per_site() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        let (now, other) = view_top(
            vec![LiveSite {
                sessions: 1,
                ..runs("ide", 2, 1, 5, 2)
            }],
            None,
            20,
        );
        let answer = LiveAnswer {
            now,
            at,
            heartbeat_interval_secs: 15,
            seen_since: at,
            other,
        };
        assert_eq!(
            answer.csv(),
            "programs_30m.errors,programs_30m.runs,programs_5m.errors,programs_5m.runs,sessions,site\r\n\
             2,5,1,2,1,ide\r\n"
        );
    }

    #[test]
    fn nothing_going_on_is_zeros() {
        let now = view(vec![]);
        assert_eq!((now.sessions, now.sites.len()), (0, 0));
        assert_eq!(now.programs_30m, RecentRuns::default());
    }
}

//! Reports: the daily rollup, retention of raw rows, and the figures the stats API, the dashboard
//! and the CLI show. Every figure of a day counts the sessions that *started* that day, a local
//! day of the report's time zone (`report_timezone`, UTC by default; `domain::zone`).
//!
//! Each report's read (one module a report, over a [`Source`]) is what the HTTP route, its CSV
//! export, the MCP tool and `stats --json` all answer; its answer type, pure fold and CSV table are
//! its namesake in `domain::report`.

pub mod clients;
pub mod daily;
pub mod errors;
pub mod feature_data;
pub mod features;
pub mod funnel;
pub mod hourly;
pub mod journey;
pub mod live;
pub mod now;
pub mod programs;
mod retention;
mod rollup;
pub mod sessions;
pub mod time;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use crate::domain::report::daily::RetentionInForce;
use crate::domain::report::dates::{DateRange, Span};
use crate::domain::report::journey::steps::Funnel;
use crate::domain::report::site::Site;
use crate::domain::site_zones::{SiteZones, Zones};
use crate::domain::zone::ReportZone;
pub use retention::PurgeOutcome;
pub use rollup::RollupOutcome;

use crate::clock::SharedClock;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct ReportSettings {
    /// Today and the days before it in which every periodic rollup also recomputes days holding
    /// sessions without a last-seen time (the old tracker's rows).
    pub rollup_window_days: u32,
    /// Raw rows of sessions that started more than this many days before today are deleted.
    pub retention_days: u32,
    /// The free text of summaries of days more than this many days before today is replaced by
    /// an `(expired)` row holding their counts.
    pub summary_text_retention_days: u32,
    /// The zone whose local days and hours every report counts in (`report_timezone`).
    pub zone: ReportZone,
    /// The sites that count their own figures in another zone (`site_timezones`).
    pub site_zones: SiteZones,
}

impl From<&crate::config::Config> for ReportSettings {
    fn from(config: &crate::config::Config) -> Self {
        ReportSettings {
            rollup_window_days: config.rollup_window_days,
            retention_days: config.retention_days,
            summary_text_retention_days: config.summary_text_retention_days,
            zone: config.report_timezone,
            site_zones: config.site_timezones.clone(),
        }
    }
}

impl ReportSettings {
    /// The zones figures count in: the report zone, and the sites' overrides.
    pub fn zones(&self) -> Zones {
        Zones {
            report: self.zone,
            sites: self.site_zones.clone(),
        }
    }

    /// The retention in force on `today`, as the daily answer shows it.
    pub fn in_force(&self, today: NaiveDate) -> RetentionInForce {
        RetentionInForce {
            raw_rows_days: self.retention_days,
            raw_rows_from: self.first_kept_day(today),
            summary_text_days: self.summary_text_retention_days,
            summary_text_from: self.first_day_with_texts(today),
        }
    }
}

/// What the reports read: the store, the clock, the heartbeat period (of the live view) and the
/// retention in force (of the daily answer). The routes take it from their state; the MCP server
/// (`crate::mcp`) and the CLI open their own.
#[derive(Clone)]
pub struct Source {
    pub store: Store,
    pub clock: SharedClock,
    pub heartbeat_interval: Duration,
    /// The retention in force, which the daily answer shows.
    pub retention: ReportSettings,
    /// Folds the heartbeat journal before the live view reads; none where the store is read
    /// only (the MCP server, the CLI: the replicas fold every second).
    pub folder: Option<crate::fold::Folder>,
}

impl Source {
    /// The zone of one site's figures (its override, else the report zone), or of all sites':
    /// the zone an answer counts its days and hours in, and names.
    pub fn zone_of(&self, site: Option<&Site>) -> ReportZone {
        site.and_then(|s| self.retention.site_zones.get(s.as_str()))
            .unwrap_or(self.retention.zone)
    }

    /// The sites an all-sites answer adding up each site's summaries counts on their own local
    /// days (`site_timezones`), as [`Span::sites_in_own_zones`] names them; none for one
    /// site's answer.
    pub fn sites_in_own_zones(&self, site: Option<&Site>) -> BTreeMap<String, &'static str> {
        if site.is_some() {
            return BTreeMap::new();
        }
        let zones = &self.retention.site_zones;
        zones
            .iter()
            .map(|(s, z)| (s.as_str().to_string(), z.name()))
            .collect()
    }

    /// The span of an answer that adds up each site's summaries (its `time_zone`, and for all
    /// sites the sites counted in their own zones).
    pub fn summed_span(&self, range: &DateRange, site: Option<&Site>) -> Span {
        Span {
            sites_in_own_zones: self.sites_in_own_zones(site),
            ..Span::of(range, self.zone_of(site))
        }
    }

    /// Today in the zone of one site's figures, or of all sites'.
    pub fn today_of(&self, site: Option<&Site>) -> NaiveDate {
        self.zone_of(site).today(self.clock.now())
    }
}

#[derive(Clone)]
pub struct Reports {
    pub store: Store,
    pub clock: SharedClock,
    pub settings: ReportSettings,
    /// The steps the rollup counts each day's sessions through (`funnel`): a changed funnel
    /// applies to the days rolled up after the change.
    pub funnel: Funnel,
    /// Whether a rollup of this process has looked for sites' days rolled up in another zone
    /// than the site's (`Reports::rollup_due`): a site's zone changes only with a restart, so
    /// one look per process does, rather than a read of every site's kept days every refresh.
    pub site_zones_checked: Arc<AtomicBool>,
}

impl Reports {
    /// Today in the report's zone.
    pub fn today(&self) -> NaiveDate {
        self.settings.zone.today(self.clock.now())
    }
}

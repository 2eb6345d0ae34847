//! Configuration: defaults, then the deployment's legacy JSON file, then a TOML file, then
//! `USAGE_*` environment variables; validated once, before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

use crate::domain::report::journey::steps::{Funnel, DEFAULT_FUNNEL};
use crate::visitor::IpMode;

mod env;
mod legacy;
pub mod limits;
mod secret;

pub use env::ENV_VARS;
pub use secret::{DatabaseUrl, Secret};

/// Printable without secrets (`check-config` prints it): the database password and the admin
/// token are masked by their types.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// False only when the legacy JSON says `"enabled": false`.
    #[serde(skip)]
    pub enabled: bool,
    pub listen: SocketAddr,
    /// `mysql://user:password@host:port/database` (never printed with its password) or
    /// `sqlite:<path>`; none is SQLite at `usage.sqlite3` (`store::DEFAULT_SQLITE_PATH`).
    pub database_url: Option<DatabaseUrl>,
    /// How long `serve` waits for an unreachable MySQL server at start (retrying with backoff,
    /// `/healthz` up and `/readyz` saying why meanwhile) before it gives up; 0 gives up at once.
    /// Credentials, a missing database or a bad URL fail at once whatever this says.
    pub database_wait_secs: u64,
    /// PEM file of the CA that signed the MySQL server's certificate (a managed database's CA):
    /// TLS is then required, verified against this CA only, and the server's name must match
    /// its certificate (`?verify_identity=false` in the URL skips only that check).
    pub ssl_ca: Option<PathBuf>,
    pub ip_mode: IpMode,
    /// Origins (scheme://host[:port]) whose pages may send events; the aggregator's own origin
    /// and requests without an Origin header are always allowed.
    pub allowed_origins: Vec<String>,
    /// Host names (or addresses), with or without a port, that requests may name in `Host`;
    /// others get 421. Empty (the default) answers any: `make run` lists the loopback names.
    pub allowed_hosts: Vec<String>,
    /// Networks (or single addresses) of reverse proxies whose X-Forwarded-For is believed.
    #[serde(deserialize_with = "proxy_nets")]
    pub trusted_proxies: Vec<IpNet>,
    /// Drop (202) requests that carry `Sec-GPC: 1` or `DNT: 1`.
    pub honor_privacy_signals: bool,
    /// Drop (202) the sessions of browsers that report automation (`navigator.webdriver`, a
    /// headless User-Agent), counted per day and site as filtered (docs/reports.md).
    pub filter_automation: bool,
    /// Store the full User-Agent header instead of "Browser N / OS / device".
    pub store_full_user_agent: bool,
    /// Site ids accepted; empty accepts any well-formed id, with at most
    /// `max_new_sites_per_day` new ones a day.
    pub sites: Vec<String>,
    /// Without `sites`: site ids never seen before that a replica accepts per UTC day; the rest
    /// get a 422 (0: no cap). Bounds the per-site summaries and the live view.
    pub max_new_sites_per_day: u32,
    pub idle_timeout_secs: u64,
    pub session_slack_secs: u64,
    pub queue_capacity: usize,
    pub max_requests_per_flush: usize,
    pub flush_timeout_secs: u64,
    pub retry_after_secs: u64,
    pub maintenance_interval_secs: u64,
    /// How often `serve` recomputes the daily rollup and purges expired rows.
    pub rollup_interval_secs: u64,
    /// How often `serve` brings the summaries of the days touched since the last pass (today,
    /// above all) up to date: every stats route reads summaries only, so this is how far behind
    /// the figures of a range may be. Spaced further apart when a pass takes long (`jobs.rs`).
    pub summary_refresh_secs: u64,
    /// Whether `serve` rolls up once as it starts (in the background), so that summaries are
    /// current right after a restart rather than one interval later.
    pub rollup_at_start: bool,
    /// The pages' heartbeat period (the client's `heartbeatInterval`, 15 s by default): the
    /// live view counts sessions seen within two of them and refreshes once per period.
    pub heartbeat_interval_secs: u64,
    /// Heartbeat-only session updates go to the heartbeat journal, one row per flush, which
    /// every replica's job folds into `ide_sessions` every second (docs/heartbeat-journal.md).
    /// Off by default: a new knob leaves existing deployments as they were, and the previous
    /// release does not fold (turn it on once every replica runs this release; before a
    /// downgrade, turn it off and run `usage-aggregator fold`).
    pub heartbeat_journal: bool,
    /// How often the holder of the `fold` lease folds the heartbeat journal while
    /// `heartbeat_journal` is on: how long a journaled heartbeat waits at most before its
    /// session row shows it (readers that need it fold first). Longer periods fold more
    /// heartbeats of one session into one row write (at a 15 s heartbeat, a 15 s fold writes
    /// each live session's row about once per fold instead of once per heartbeat).
    pub heartbeat_journal_fold_secs: u64,
    /// Days (today included) in which every periodic rollup also recomputes days holding
    /// sessions without a last-seen time (the old tracker's rows during a switch-over); every
    /// other change is found through the sessions it touches.
    pub rollup_window_days: u32,
    /// Raw sessions and events are kept this many days; daily summaries are kept forever.
    pub retention_days: u32,
    /// The free text of daily summaries (error groups and examples, feature data texts) is kept
    /// this many days; older days keep their counts under an `(expired)` row.
    pub summary_text_retention_days: u32,
    /// The funnel's steps, in order (docs/reports.md, "The funnel"): `opened`, `run`, `success`,
    /// `failure`, `feature` or `feature:<name>`; 1 to 8 steps, `opened` first if at all. A
    /// changed funnel applies to the days rolled up after the change.
    pub funnel: Vec<String>,
    /// The IANA time zone whose local days and hours the reports, the rollup and the visitor
    /// salts count in ("UTC", the default, counts as before; e.g. "America/Los_Angeles").
    /// Changing it re-rolls the kept days at the next rollup (docs/reports.md).
    pub report_timezone: crate::domain::zone::ReportZone,
    /// Per site, the IANA zone its own figures count in (`?site=` answers, its `daily_site_*`
    /// rows); all-sites figures stay in `report_timezone`. Empty by default; at most 100.
    pub site_timezones: crate::domain::site_zones::SiteZones,
    /// Bearer token of the stats API and dashboard; without it they answer 503.
    pub admin_token: Option<Secret>,
    /// A token of the MCP server's own (`usage-aggregator mcp`), which opens only its read-only
    /// report tools, never the stats API; the admin token opens them too. Without either, the MCP
    /// server refuses to start.
    pub mcp_token: Option<Secret>,
    /// Served at `/`: the demo IDE page and the dashboard.
    pub static_dir: PathBuf,
    /// Served at `/usage/`: the built browser client.
    pub client_dir: PathBuf,
    pub log_format: LogFormat,
    /// Serve `GET /metrics` and record metrics; false installs no recorder and answers 404 there
    /// (for a same-run comparison of their cost, or an installation without Prometheus).
    pub metrics: bool,
    /// Serve `GET /metrics` on this address only (its own listener, e.g. a port that only
    /// Prometheus can reach) instead of on `listen`; none keeps it on `listen`.
    pub metrics_listen: Option<SocketAddr>,
    /// Socket deadlines, the connection caps and the rate limits (`[limits]`).
    pub limits: limits::Limits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The longest fold period `heartbeat_journal_fold_secs` takes: an hour (the readers that need
/// the newest state fold first in any case).
pub const MAX_FOLD_SECS: u64 = 3600;

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            database_wait_secs: 60,
            ssl_ca: None,
            ip_mode: IpMode::Hash,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            honor_privacy_signals: true,
            filter_automation: true,
            funnel: DEFAULT_FUNNEL.map(String::from).to_vec(),
            store_full_user_agent: false,
            sites: Vec::new(),
            max_new_sites_per_day: 20,
            idle_timeout_secs: 30 * 60,
            session_slack_secs: 300,
            queue_capacity: 4096,
            max_requests_per_flush: 512,
            flush_timeout_secs: 5,
            retry_after_secs: 5,
            maintenance_interval_secs: 60,
            rollup_interval_secs: 300,
            summary_refresh_secs: 60,
            rollup_at_start: true,
            heartbeat_interval_secs: 15,
            heartbeat_journal: false,
            heartbeat_journal_fold_secs: 1,
            rollup_window_days: 3,
            retention_days: 395,
            summary_text_retention_days: SUMMARY_TEXT_RETENTION_DAYS,
            report_timezone: Default::default(),
            site_timezones: Default::default(),
            admin_token: None,
            mcp_token: None,
            static_dir: PathBuf::from("www"),
            client_dir: PathBuf::from("wasm-client/dist"),
            log_format: LogFormat::Text,
            metrics: true,
            metrics_listen: None,
            limits: limits::Limits::default(),
            enabled: true,
        }
    }
}

impl Config {
    /// Reads the files (either may be absent) and the environment through `env`.
    pub fn load(
        toml_file: Option<&Path>,
        legacy_json: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, String> {
        let mut config = Config::default();
        if let Some(path) = legacy_json {
            let text = read(path)?;
            legacy::apply(&mut config, &text, env)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some(path) = toml_file {
            let from_file: Config =
                toml::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?;
            config = Config {
                enabled: config.enabled,
                database_url: from_file.database_url.clone().or(config.database_url),
                ssl_ca: from_file.ssl_ca.clone().or(config.ssl_ca),
                ..from_file
            };
        }
        env::apply_env(&mut config, env)?;
        config.validate()?;
        Ok(config)
    }

    /// The configured funnel (validated at load; the default if it somehow is not).
    pub fn funnel(&self) -> Funnel {
        Funnel::parse(&self.funnel).unwrap_or_default()
    }

    /// Every problem of the merged configuration, one a line (`check-config` shows them all).
    fn validate(&self) -> Result<(), String> {
        let mut errors: Vec<String> = Vec::new();
        for origin in &self.allowed_origins {
            match url::Url::parse(origin) {
                Err(e) => errors.push(format!(
                    "allowed_origins: {origin:?} is not an origin ({e})"
                )),
                Ok(parsed) if parsed.origin().ascii_serialization() != *origin => {
                    errors.push(format!(
                        "allowed_origins: write {origin:?} as {:?} (scheme://host[:port], no path)",
                        parsed.origin().ascii_serialization()
                    ))
                }
                Ok(_) => {}
            }
        }
        for site in self
            .sites
            .iter()
            .filter(|s| !crate::domain::event::is_name(s))
        {
            errors.push(format!(
                "sites: {site:?} must match [a-z0-9_.:-]{{1,64}} and not be only dots"
            ));
        }
        for (name, value) in [
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("queue_capacity", self.queue_capacity as u64),
            ("max_requests_per_flush", self.max_requests_per_flush as u64),
            ("flush_timeout_secs", self.flush_timeout_secs),
            ("maintenance_interval_secs", self.maintenance_interval_secs),
            ("rollup_interval_secs", self.rollup_interval_secs),
            ("summary_refresh_secs", self.summary_refresh_secs),
            ("heartbeat_interval_secs", self.heartbeat_interval_secs),
            (
                "heartbeat_journal_fold_secs",
                self.heartbeat_journal_fold_secs,
            ),
            ("rollup_window_days", self.rollup_window_days.into()),
        ] {
            if value == 0 {
                errors.push(format!("{name} must be greater than 0"));
            }
        }
        if self.heartbeat_journal_fold_secs > MAX_FOLD_SECS {
            errors.push(format!(
                "heartbeat_journal_fold_secs ({}) must be at most {MAX_FOLD_SECS}: unfolded heartbeats would wait longer than the summary refresh and the idle sweep fold them anyway",
                self.heartbeat_journal_fold_secs
            ));
        }
        if let Err(e) = self.limits.validate() {
            errors.push(e);
        }
        if let Err(e) = Funnel::parse(&self.funnel) {
            errors.push(format!("{e} (USAGE_FUNNEL, comma separated)"));
        }
        if let Some(ca) = &self.ssl_ca {
            if let Err(e) = std::fs::read(ca) {
                errors.push(format!(
                    "ssl_ca (USAGE_SSL_CA): cannot read {}: {e}",
                    ca.display()
                ));
            }
        }
        if self.retention_days <= self.rollup_window_days {
            errors.push(format!(
                "retention_days ({}) must be greater than rollup_window_days ({}): a day is rolled up before its rows go",
                self.retention_days, self.rollup_window_days
            ));
        }
        if self.summary_text_retention_days <= self.rollup_window_days {
            errors.push(format!(
                "summary_text_retention_days ({}) must be greater than rollup_window_days ({}): the rollup would write back the texts of expired days",
                self.summary_text_retention_days, self.rollup_window_days
            ));
        }
        for (name, token) in [
            ("admin_token (USAGE_ADMIN_TOKEN)", &self.admin_token),
            ("mcp_token (USAGE_MCP_TOKEN)", &self.mcp_token),
        ] {
            let Some(token) = token else { continue };
            if token.expose().trim().len() < MIN_ADMIN_TOKEN_LEN {
                errors.push(format!("{name} must be at least {MIN_ADMIN_TOKEN_LEN} characters: generate one with `openssl rand -hex 24`"));
            } else if is_placeholder(token.expose()) {
                errors.push(format!("{name} is a placeholder from an example, which anyone can read: generate one with `openssl rand -hex 24`"));
            }
        }
        if self.metrics_listen.is_some() && !self.metrics {
            errors.push("metrics_listen (USAGE_METRICS_LISTEN) is set but metrics = false (USAGE_METRICS): nothing to serve there".to_string());
        }
        if self.metrics_listen.is_some_and(|m| m == self.listen) {
            errors.push(format!(
                "metrics_listen (USAGE_METRICS_LISTEN) must differ from listen ({})",
                self.listen
            ));
        }
        match errors.is_empty() {
            true => Ok(()),
            false => Err(errors.join("\n")),
        }
    }

    /// The zones figures count in: `report_timezone` and the sites' overrides.
    pub fn zones(&self) -> crate::domain::site_zones::Zones {
        crate::domain::site_zones::Zones {
            report: self.report_timezone,
            sites: self.site_timezones.clone(),
        }
    }

    /// The database URL; `None` means the embedded SQLite store at its default path.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_ref().map(DatabaseUrl::expose)
    }

    /// Where the store is, and how to trust it.
    pub fn database(&self) -> crate::store::Target {
        crate::store::Target {
            url: self.database_url().map(str::to_owned),
            ssl_ca: self.ssl_ca.clone(),
        }
    }
}

/// Under 25 months on every calendar (CNIL deliberation 2020-091 keeps audience data at most 25
/// months: 25 months are never fewer than 758 days).
pub const SUMMARY_TEXT_RETENTION_DAYS: u32 = 750;

/// Shorter tokens are guessable; the stats API shows every session.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;

/// Tokens published in examples: docs/deploy/kubernetes.yaml's `change-me-...` (and anything
/// else starting so, in any case), and the demo token the Makefile published before it made a
/// random one per checkout.
fn is_placeholder(token: &str) -> bool {
    let token = token.trim().to_ascii_lowercase();
    token.starts_with("change-me")
        || token.starts_with("changeme")
        || token == "local-demo-token-not-secret"
}

/// "10.0.0.0/8", or a single address meaning just that host.
pub fn parse_net(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("trusted_proxies: {text:?} is neither an address nor a network"))
}

fn proxy_nets<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<IpNet>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|t| parse_net(t).map_err(serde::de::Error::custom))
        .collect()
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests;

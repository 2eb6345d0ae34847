//! Configuration: defaults, then the deployment's legacy JSON file, then a TOML file, then
//! `USAGE_*` environment variables; validated once, before anything starts.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;
use serde_json::Value;

use crate::visitor::IpMode;

pub mod limits;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    /// `mysql://user:password@host:port/database` (never printed with its password) or
    /// `sqlite:<path>`; none is SQLite at `usage.sqlite3` (`store::DEFAULT_SQLITE_PATH`).
    pub database_url: Option<String>,
    pub ip_mode: IpMode,
    /// Origins (scheme://host[:port]) whose pages may send events; the aggregator's own origin
    /// and requests without an Origin header are always allowed.
    pub allowed_origins: Vec<String>,
    /// Networks (or single addresses) of reverse proxies whose X-Forwarded-For is believed.
    #[serde(deserialize_with = "proxy_nets")]
    pub trusted_proxies: Vec<IpNet>,
    /// Drop (202) requests that carry `Sec-GPC: 1` or `DNT: 1`.
    pub honor_privacy_signals: bool,
    /// Store the full User-Agent header instead of "Browser N / OS / device".
    pub store_full_user_agent: bool,
    /// Site ids accepted; empty accepts any well-formed id.
    pub sites: Vec<String>,
    pub idle_timeout_secs: u64,
    pub session_slack_secs: u64,
    pub queue_capacity: usize,
    pub max_requests_per_flush: usize,
    pub flush_timeout_secs: u64,
    pub retry_after_secs: u64,
    pub maintenance_interval_secs: u64,
    /// How often `serve` recomputes the daily rollup and purges expired rows.
    pub rollup_interval_secs: u64,
    /// Whether `serve` rolls up once as it starts (in the background), so that summaries are
    /// current right after a restart rather than one interval later.
    pub rollup_at_start: bool,
    /// The pages' heartbeat period (the client's `heartbeatInterval`, 15 s by default): the
    /// live view counts sessions seen within two of them and refreshes once per period.
    pub heartbeat_interval_secs: u64,
    /// Days (today included) every periodic rollup recomputes; late events beyond it are
    /// found through the sessions they touch.
    pub rollup_window_days: u32,
    /// Raw sessions and events are kept this many days; daily summaries are kept forever.
    pub retention_days: u32,
    /// Bearer token of the stats API and dashboard; without it they answer 503.
    pub admin_token: Option<String>,
    /// Served at `/`: the demo IDE page and the dashboard.
    pub static_dir: PathBuf,
    /// Served at `/usage/`: the built browser client.
    pub client_dir: PathBuf,
    pub log_format: LogFormat,
    /// Socket deadlines, the connection cap and the rate limits (`[limits]`).
    pub limits: limits::Limits,
    /// False only when the legacy JSON says `"enabled": false`.
    #[serde(skip)]
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Printable without the database password.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let database = self.database_url.as_deref().map(redact_password);
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &database)
            .field("ip_mode", &self.ip_mode)
            .field("allowed_origins", &self.allowed_origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("sites", &self.sites)
            .finish_non_exhaustive()
    }
}

fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable>".into(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            ip_mode: IpMode::Hash,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            honor_privacy_signals: true,
            store_full_user_agent: false,
            sites: Vec::new(),
            idle_timeout_secs: 30 * 60,
            session_slack_secs: 300,
            queue_capacity: 4096,
            max_requests_per_flush: 512,
            flush_timeout_secs: 5,
            retry_after_secs: 5,
            maintenance_interval_secs: 60,
            rollup_interval_secs: 300,
            rollup_at_start: true,
            heartbeat_interval_secs: 15,
            rollup_window_days: 3,
            retention_days: 395,
            admin_token: None,
            static_dir: PathBuf::from("www"),
            client_dir: PathBuf::from("wasm-client/dist"),
            log_format: LogFormat::Text,
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
                ..from_file
            };
        }
        apply_env(&mut config, env)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        for origin in &self.allowed_origins {
            let parsed = url::Url::parse(origin)
                .map_err(|e| format!("allowed_origins: {origin:?} is not an origin ({e})"))?;
            if parsed.origin().ascii_serialization() != *origin {
                return Err(format!(
                    "allowed_origins: write {origin:?} as {:?} (scheme://host[:port], no path)",
                    parsed.origin().ascii_serialization()
                ));
            }
        }
        if let Some(site) = self
            .sites
            .iter()
            .find(|s| !crate::domain::event::is_name(s))
        {
            return Err(format!("sites: {site:?} must match [a-z0-9_.:-]{{1,64}}"));
        }
        for (name, value) in [
            ("idle_timeout_secs", self.idle_timeout_secs),
            ("queue_capacity", self.queue_capacity as u64),
            ("max_requests_per_flush", self.max_requests_per_flush as u64),
            ("flush_timeout_secs", self.flush_timeout_secs),
            ("maintenance_interval_secs", self.maintenance_interval_secs),
            ("rollup_interval_secs", self.rollup_interval_secs),
            ("heartbeat_interval_secs", self.heartbeat_interval_secs),
            ("rollup_window_days", self.rollup_window_days.into()),
        ] {
            if value == 0 {
                return Err(format!("{name} must be greater than 0"));
            }
        }
        self.limits.validate()?;
        if self.retention_days <= self.rollup_window_days {
            return Err(format!(
                "retention_days ({}) must be greater than rollup_window_days ({}): a day is rolled up before its rows go",
                self.retention_days, self.rollup_window_days
            ));
        }
        if let Some(token) = &self.admin_token {
            if token.trim().len() < MIN_ADMIN_TOKEN_LEN {
                return Err(format!("admin_token (USAGE_ADMIN_TOKEN) must be at least {MIN_ADMIN_TOKEN_LEN} characters: generate one with `openssl rand -hex 24`"));
            }
        }
        Ok(())
    }

    /// The database URL; `None` means the embedded SQLite store at its default path.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }
}

/// Shorter tokens are guessable; the stats API shows every session.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;

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

fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    fn parsed<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        text.trim()
            .parse()
            .map_err(|e| format!("{name}={text:?}: {e}"))
    }
    fn list<T: std::str::FromStr>(name: &str, text: &str) -> Result<Vec<T>, String>
    where
        T::Err: std::fmt::Display,
    {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| parsed(name, s))
            .collect()
    }
    for name in ENV_VARS {
        let Some(text) = env(name) else { continue };
        match *name {
            "USAGE_DATABASE_URL" => config.database_url = Some(text),
            "USAGE_LISTEN" => config.listen = parsed(name, &text)?,
            "USAGE_IP_MODE" => config.ip_mode = parsed(name, &text)?,
            "USAGE_ALLOWED_ORIGINS" => config.allowed_origins = list(name, &text)?,
            "USAGE_TRUSTED_PROXIES" => {
                config.trusted_proxies = list::<String>(name, &text)?
                    .iter()
                    .map(|n| parse_net(n))
                    .collect::<Result<_, _>>()?
            }
            "USAGE_SITES" => config.sites = list(name, &text)?,
            "USAGE_HONOR_PRIVACY_SIGNALS" => config.honor_privacy_signals = parsed(name, &text)?,
            "USAGE_STORE_FULL_USER_AGENT" => config.store_full_user_agent = parsed(name, &text)?,
            "USAGE_IDLE_TIMEOUT_SECS" => config.idle_timeout_secs = parsed(name, &text)?,
            "USAGE_SESSION_SLACK_SECS" => config.session_slack_secs = parsed(name, &text)?,
            "USAGE_QUEUE_CAPACITY" => config.queue_capacity = parsed(name, &text)?,
            "USAGE_ROLLUP_INTERVAL_SECS" => config.rollup_interval_secs = parsed(name, &text)?,
            "USAGE_ROLLUP_AT_START" => config.rollup_at_start = parsed(name, &text)?,
            "USAGE_HEARTBEAT_INTERVAL_SECS" => {
                config.heartbeat_interval_secs = parsed(name, &text)?
            }
            "USAGE_ROLLUP_WINDOW_DAYS" => config.rollup_window_days = parsed(name, &text)?,
            "USAGE_RETENTION_DAYS" => config.retention_days = parsed(name, &text)?,
            "USAGE_ADMIN_TOKEN" => config.admin_token = Some(text).filter(|t| !t.is_empty()),
            "USAGE_STATIC_DIR" => config.static_dir = PathBuf::from(text),
            "USAGE_CLIENT_DIR" => config.client_dir = PathBuf::from(text),
            "USAGE_LOG_FORMAT" => {
                config.log_format = match text.as_str() {
                    "text" => LogFormat::Text,
                    "json" => LogFormat::Json,
                    _ => return Err(format!("{name}={text:?}: use text or json")),
                }
            }
            _ => unreachable!("every name in ENV_VARS has a case"),
        }
    }
    config.limits.apply_env(env)
}

/// Every environment variable the aggregator reads (besides USAGE_CONFIG, USAGE_LEGACY_CONFIG
/// and USAGE_LOG, which the command line and telemetry read).
pub const ENV_VARS: &[&str] = &[
    "USAGE_DATABASE_URL",
    "USAGE_LISTEN",
    "USAGE_IP_MODE",
    "USAGE_ALLOWED_ORIGINS",
    "USAGE_TRUSTED_PROXIES",
    "USAGE_SITES",
    "USAGE_HONOR_PRIVACY_SIGNALS",
    "USAGE_STORE_FULL_USER_AGENT",
    "USAGE_IDLE_TIMEOUT_SECS",
    "USAGE_SESSION_SLACK_SECS",
    "USAGE_QUEUE_CAPACITY",
    "USAGE_ROLLUP_INTERVAL_SECS",
    "USAGE_ROLLUP_WINDOW_DAYS",
    "USAGE_RETENTION_DAYS",
    "USAGE_ADMIN_TOKEN",
    "USAGE_STATIC_DIR",
    "USAGE_CLIENT_DIR",
    "USAGE_LOG_FORMAT",
];

/// The deployment's existing JSON config: `{"usage_tracking": {"enabled": …, "mysql": {…}}}`
/// with `${VAR}` placeholders in its strings.
mod legacy {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        usage_tracking: Tracking,
    }

    #[derive(Deserialize)]
    struct Tracking {
        #[serde(default = "yes")]
        enabled: bool,
        mysql: Mysql,
    }

    #[derive(Deserialize)]
    struct Mysql {
        host: String,
        #[serde(default = "default_port")]
        port: Value,
        user: String,
        #[serde(default)]
        password: String,
        database: String,
        #[serde(default)]
        ssl: bool,
    }

    fn yes() -> bool {
        true
    }

    fn default_port() -> Value {
        Value::from(3306)
    }

    pub fn apply(
        config: &mut Config,
        text: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), String> {
        let mut raw: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        substitute(&mut raw, env)?;
        let file: File =
            serde_json::from_value(raw).map_err(|e| format!("unexpected shape: {e}"))?;
        let mysql = file.usage_tracking.mysql;
        let port: u16 = match &mysql.port {
            Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or_else(|| format!("mysql.port {} is not a port number", mysql.port))?;
        let mut url = url::Url::parse("mysql://localhost").expect("a constant URL");
        url.set_host(Some(&mysql.host))
            .map_err(|e| format!("mysql.host {:?}: {e}", mysql.host))?;
        let _ = url.set_port(Some(port));
        let _ = url.set_username(&mysql.user);
        let _ = url.set_password(
            Some(&mysql.password)
                .filter(|p| !p.is_empty())
                .map(String::as_str),
        );
        url.set_path(&mysql.database);
        if mysql.ssl {
            url.set_query(Some("require_ssl=true"));
        }
        config.database_url = Some(url.to_string());
        config.enabled = file.usage_tracking.enabled;
        Ok(())
    }

    /// Replaces `${VAR}` in every string; an unset variable is an error that names it.
    fn substitute(value: &mut Value, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        match value {
            Value::String(text) => {
                let mut out = String::new();
                let mut rest = text.as_str();
                while let Some(open) = rest.find("${") {
                    let close = rest[open..]
                        .find('}')
                        .ok_or_else(|| format!("unclosed ${{ in {text:?}"))?
                        + open;
                    let name = &rest[open + 2..close];
                    let found = env(name).ok_or_else(|| {
                        format!("environment variable {name} is not set (the config refers to it)")
                    })?;
                    out.push_str(&rest[..open]);
                    out.push_str(&found);
                    rest = &rest[close + 1..];
                }
                out.push_str(rest);
                *text = out;
            }
            Value::Array(items) => items.iter_mut().try_for_each(|v| substitute(v, env))?,
            Value::Object(map) => map.values_mut().try_for_each(|v| substitute(v, env))?,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! `USAGE_*` environment variables: the last word over both files.

use std::path::PathBuf;

use super::{parse_net, Config, LogFormat, Secret};

pub(super) fn apply_env(
    config: &mut Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
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
            "USAGE_DATABASE_URL" => config.database_url = Some(text.into()),
            "USAGE_DATABASE_WAIT_SECS" => config.database_wait_secs = parsed(name, &text)?,
            "USAGE_SSL_CA" => {
                config.ssl_ca = Some(PathBuf::from(text)).filter(|p| !p.as_os_str().is_empty())
            }
            "USAGE_LISTEN" => config.listen = parsed(name, &text)?,
            "USAGE_IP_MODE" => config.ip_mode = parsed(name, &text)?,
            "USAGE_ALLOWED_ORIGINS" => config.allowed_origins = list(name, &text)?,
            "USAGE_ALLOWED_HOSTS" => config.allowed_hosts = list(name, &text)?,
            "USAGE_TRUSTED_PROXIES" => {
                config.trusted_proxies = list::<String>(name, &text)?
                    .iter()
                    .map(|n| parse_net(n))
                    .collect::<Result<_, _>>()?
            }
            "USAGE_SITES" => config.sites = list(name, &text)?,
            "USAGE_MAX_NEW_SITES_PER_DAY" => config.max_new_sites_per_day = parsed(name, &text)?,
            "USAGE_HONOR_PRIVACY_SIGNALS" => config.honor_privacy_signals = parsed(name, &text)?,
            "USAGE_FILTER_AUTOMATION" => config.filter_automation = parsed(name, &text)?,
            "USAGE_FUNNEL" => config.funnel = list(name, &text)?,
            "USAGE_STORE_FULL_USER_AGENT" => config.store_full_user_agent = parsed(name, &text)?,
            "USAGE_IDLE_TIMEOUT_SECS" => config.idle_timeout_secs = parsed(name, &text)?,
            "USAGE_SESSION_SLACK_SECS" => config.session_slack_secs = parsed(name, &text)?,
            "USAGE_QUEUE_CAPACITY" => config.queue_capacity = parsed(name, &text)?,
            "USAGE_ROLLUP_INTERVAL_SECS" => config.rollup_interval_secs = parsed(name, &text)?,
            "USAGE_SUMMARY_REFRESH_SECS" => config.summary_refresh_secs = parsed(name, &text)?,
            "USAGE_ROLLUP_AT_START" => config.rollup_at_start = parsed(name, &text)?,
            "USAGE_HEARTBEAT_JOURNAL" => config.heartbeat_journal = parsed(name, &text)?,
            "USAGE_HEARTBEAT_JOURNAL_FOLD_SECS" => {
                config.heartbeat_journal_fold_secs = parsed(name, &text)?
            }
            "USAGE_HEARTBEAT_INTERVAL_SECS" => {
                config.heartbeat_interval_secs = parsed(name, &text)?
            }
            "USAGE_ROLLUP_WINDOW_DAYS" => config.rollup_window_days = parsed(name, &text)?,
            "USAGE_RETENTION_DAYS" => config.retention_days = parsed(name, &text)?,
            "USAGE_SUMMARY_TEXT_RETENTION_DAYS" => {
                config.summary_text_retention_days = parsed(name, &text)?
            }
            "USAGE_REPORT_TIMEZONE" => {
                config.report_timezone = text.parse().map_err(|e| format!("{name}: {e}"))?
            }
            "USAGE_SITE_TIMEZONES" => {
                config.site_timezones = text.parse().map_err(|e| format!("{name}: {e}"))?
            }
            "USAGE_ADMIN_TOKEN" => {
                config.admin_token = Some(text).filter(|t| !t.is_empty()).map(Secret::from)
            }
            "USAGE_MCP_TOKEN" => {
                config.mcp_token = Some(text).filter(|t| !t.is_empty()).map(Secret::from)
            }
            "USAGE_STATIC_DIR" => config.static_dir = PathBuf::from(text),
            "USAGE_CLIENT_DIR" => config.client_dir = PathBuf::from(text),
            "USAGE_METRICS" => config.metrics = parsed(name, &text)?,
            "USAGE_METRICS_LISTEN" => {
                config.metrics_listen = match text.trim() {
                    "" => None,
                    address => Some(parsed(name, address)?),
                }
            }
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
    "USAGE_DATABASE_WAIT_SECS",
    "USAGE_SSL_CA",
    "USAGE_LISTEN",
    "USAGE_IP_MODE",
    "USAGE_ALLOWED_ORIGINS",
    "USAGE_ALLOWED_HOSTS",
    "USAGE_TRUSTED_PROXIES",
    "USAGE_SITES",
    "USAGE_MAX_NEW_SITES_PER_DAY",
    "USAGE_HONOR_PRIVACY_SIGNALS",
    "USAGE_FILTER_AUTOMATION",
    "USAGE_FUNNEL",
    "USAGE_STORE_FULL_USER_AGENT",
    "USAGE_IDLE_TIMEOUT_SECS",
    "USAGE_SESSION_SLACK_SECS",
    "USAGE_QUEUE_CAPACITY",
    "USAGE_ROLLUP_INTERVAL_SECS",
    "USAGE_SUMMARY_REFRESH_SECS",
    "USAGE_ROLLUP_AT_START",
    "USAGE_HEARTBEAT_INTERVAL_SECS",
    "USAGE_HEARTBEAT_JOURNAL",
    "USAGE_HEARTBEAT_JOURNAL_FOLD_SECS",
    "USAGE_ROLLUP_WINDOW_DAYS",
    "USAGE_RETENTION_DAYS",
    "USAGE_SUMMARY_TEXT_RETENTION_DAYS",
    "USAGE_REPORT_TIMEZONE",
    "USAGE_SITE_TIMEZONES",
    "USAGE_ADMIN_TOKEN",
    "USAGE_MCP_TOKEN",
    "USAGE_STATIC_DIR",
    "USAGE_CLIENT_DIR",
    "USAGE_LOG_FORMAT",
    "USAGE_METRICS",
    "USAGE_METRICS_LISTEN",
];

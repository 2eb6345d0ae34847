//! The edge's limits (`[limits]` in the TOML file, `USAGE_*` variables): socket deadlines, the
//! connection cap and the rate limits. Defaults follow nginx (60 s to send headers or a body) and
//! are far above what real pages send: a tab sends about one batch every 15 to 20 s, and a school
//! behind one NAT address has hundreds of tabs.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A request's headers must arrive within this; it also ends an idle keep-alive connection
    /// (hyper starts the same timer while it waits for the next request).
    pub header_timeout_secs: u64,
    /// A new connection must send its first byte within this, else it is closed unanswered: a
    /// browser sends its request at once, a silent connection only holds a place.
    pub first_byte_timeout_secs: u64,
    /// A request's body must arrive within this (408 otherwise).
    pub body_timeout_secs: u64,
    /// Open connections at most; more are answered 503 and closed. Keep it under the process's
    /// open-file limit (`ulimit -n`, often 1024) minus the database connections.
    pub max_connections: usize,
    /// Open connections at most from one client address (its keyed hash), so that the cap is
    /// reached only by many clients; a trusted proxy's connections are not counted per client.
    pub max_connections_per_client: usize,
    /// Off: no rate limits at all (e.g. behind a proxy that limits already).
    pub rate_limits: bool,
    /// Ingest requests per minute from one client address (its keyed hash), and the burst.
    pub ingest_per_client_per_minute: u32,
    pub ingest_client_burst: u32,
    /// Ingest requests per minute for one site id, whoever sends them, and the burst.
    pub ingest_per_site_per_minute: u32,
    pub ingest_site_burst: u32,
    /// Refused stats API requests (no token or a wrong one) per minute from one client address,
    /// and the burst; requests with the right token are never counted.
    pub stats_per_client_per_minute: u32,
    pub stats_client_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout_secs: 60,
            // nginx waits a minute (client_header_timeout) for the first byte too; a browser
            // sends its request within milliseconds of connecting, and one that reuses a
            // connection the server closed retries on a new one.
            first_byte_timeout_secs: 10,
            body_timeout_secs: 60,
            max_connections: 768,
            // A browser holds one keep-alive connection while its tab heartbeats: 256 is eight
            // computer rooms of 30 behind one school NAT at once, and a third of the cap, so
            // that it takes several full addresses to reach `max_connections`.
            max_connections_per_client: 256,
            rate_limits: true,
            // 2,000 tabs behind one address at one batch per 20 s, with room for reloads.
            ingest_per_client_per_minute: 6_000,
            ingest_client_burst: 1_000,
            ingest_per_site_per_minute: 120_000,
            ingest_site_burst: 20_000,
            // Only refusals count: a person mistyping the token retries a few times a minute.
            stats_per_client_per_minute: 120,
            stats_client_burst: 30,
        }
    }
}

/// The environment variables of the limits.
pub const ENV_VARS: &[&str] = &[
    "USAGE_HEADER_TIMEOUT_SECS",
    "USAGE_FIRST_BYTE_TIMEOUT_SECS",
    "USAGE_BODY_TIMEOUT_SECS",
    "USAGE_MAX_CONNECTIONS",
    "USAGE_MAX_CONNECTIONS_PER_CLIENT",
    "USAGE_RATE_LIMITS",
    "USAGE_INGEST_PER_CLIENT_PER_MINUTE",
    "USAGE_INGEST_PER_SITE_PER_MINUTE",
    "USAGE_STATS_PER_CLIENT_PER_MINUTE",
];

impl Limits {
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        for name in ENV_VARS {
            let Some(text) = env(name) else { continue };
            let number = || {
                text.trim()
                    .parse::<u64>()
                    .map_err(|e| format!("{name}={text:?}: {e}"))
            };
            let count = || number().map(|n| u32::try_from(n).unwrap_or(u32::MAX));
            match *name {
                "USAGE_HEADER_TIMEOUT_SECS" => self.header_timeout_secs = number()?,
                "USAGE_FIRST_BYTE_TIMEOUT_SECS" => self.first_byte_timeout_secs = number()?,
                "USAGE_BODY_TIMEOUT_SECS" => self.body_timeout_secs = number()?,
                "USAGE_MAX_CONNECTIONS" => self.max_connections = number()? as usize,
                "USAGE_MAX_CONNECTIONS_PER_CLIENT" => {
                    self.max_connections_per_client = number()? as usize
                }
                "USAGE_RATE_LIMITS" => {
                    self.rate_limits = text
                        .trim()
                        .parse()
                        .map_err(|_| format!("{name}={text:?}: use true or false"))?
                }
                "USAGE_INGEST_PER_CLIENT_PER_MINUTE" => {
                    self.ingest_per_client_per_minute = count()?
                }
                "USAGE_INGEST_PER_SITE_PER_MINUTE" => self.ingest_per_site_per_minute = count()?,
                "USAGE_STATS_PER_CLIENT_PER_MINUTE" => self.stats_per_client_per_minute = count()?,
                _ => unreachable!("every name in ENV_VARS has a case"),
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("limits.header_timeout_secs", self.header_timeout_secs),
            (
                "limits.first_byte_timeout_secs",
                self.first_byte_timeout_secs,
            ),
            ("limits.body_timeout_secs", self.body_timeout_secs),
            ("limits.max_connections", self.max_connections as u64),
            (
                "limits.max_connections_per_client",
                self.max_connections_per_client as u64,
            ),
            (
                "limits.ingest_per_client_per_minute",
                self.ingest_per_client_per_minute.into(),
            ),
            (
                "limits.ingest_client_burst",
                self.ingest_client_burst.into(),
            ),
            (
                "limits.ingest_per_site_per_minute",
                self.ingest_per_site_per_minute.into(),
            ),
            ("limits.ingest_site_burst", self.ingest_site_burst.into()),
            (
                "limits.stats_per_client_per_minute",
                self.stats_per_client_per_minute.into(),
            ),
            ("limits.stats_client_burst", self.stats_client_burst.into()),
        ] {
            if value == 0 {
                return Err(format!(
                    "{name} must be greater than 0 (rate_limits = false turns the rate limits off)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_sets_and_checks_the_limits() {
        let mut limits = Limits::default();
        let env = |name: &str| match name {
            "USAGE_RATE_LIMITS" => Some("false".to_string()),
            "USAGE_MAX_CONNECTIONS" => Some("100".to_string()),
            _ => None,
        };
        limits.apply_env(&env).unwrap();
        assert!(!limits.rate_limits);
        assert_eq!(limits.max_connections, 100);
        let bad = |name: &str| (name == "USAGE_BODY_TIMEOUT_SECS").then(|| "soon".to_string());
        assert!(limits
            .apply_env(&bad)
            .unwrap_err()
            .contains("USAGE_BODY_TIMEOUT_SECS"));
        limits.body_timeout_secs = 0;
        assert!(limits.validate().unwrap_err().contains("body_timeout_secs"));
    }
}

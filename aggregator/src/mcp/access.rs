//! Who may start the MCP server: the token its client presents (`USAGE_MCP_CLIENT_TOKEN`, in the
//! MCP client's configuration of the server) against the configured `mcp_token` or `admin_token`,
//! compared as the stats API compares its token (digests, in constant time).
//!
//! Why a token at all, when whoever runs `usage-aggregator mcp` reads the configuration and the
//! database itself: the token is the deployment's opt-in (no token configured, no MCP server, as
//! no admin token means no stats API), and it names the credential an agent's configuration
//! holds, which the operator can change without touching the dashboard's admin token. The walls
//! are the file permissions of the configuration and the database's own access rules; inside
//! them, the server opens the database read-only (`Store::open_read_only`).

use crate::config::Config;
use crate::http::stats::AdminToken;

/// The environment variable in which the MCP client presents its token. Not a `USAGE_*` knob:
/// were it one, a token set there would configure itself and always match.
pub const CLIENT_TOKEN_VAR: &str = "USAGE_MCP_CLIENT_TOKEN";

/// Which configured token the client presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    McpToken,
    AdminToken,
}

/// Why the server will not start; the message never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the MCP server is disabled: set mcp_token (USAGE_MCP_TOKEN) or admin_token (USAGE_ADMIN_TOKEN) in the aggregator's configuration")]
    NotConfigured,
    #[error("no token presented: the MCP client must set {CLIENT_TOKEN_VAR} to the configured mcp_token (or admin_token)")]
    Missing,
    #[error("wrong token in {CLIENT_TOKEN_VAR}: it matches neither mcp_token nor admin_token")]
    Wrong,
}

/// Admits `presented` if it is one of the configured tokens.
pub fn admit(config: &Config, presented: Option<&str>) -> Result<Admitted, Refused> {
    let configured = [
        (Admitted::McpToken, config.mcp_token.as_ref()),
        (Admitted::AdminToken, config.admin_token.as_ref()),
    ];
    if configured.iter().all(|(_, token)| token.is_none()) {
        return Err(Refused::NotConfigured);
    }
    let presented = presented
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Refused::Missing)?;
    configured
        .into_iter()
        .find_map(|(which, token)| {
            let token = AdminToken::new(token?.expose());
            token.accepts(presented).then_some(which)
        })
        .ok_or(Refused::Wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MCP: &str = "mcp-0123456789abcdef";
    const ADMIN: &str = "admin-0123456789abcdef";

    fn config(mcp: Option<&str>, admin: Option<&str>) -> Config {
        Config {
            mcp_token: mcp.map(Into::into),
            admin_token: admin.map(Into::into),
            ..Config::default()
        }
    }

    #[test]
    fn either_configured_token_admits() {
        let both = config(Some(MCP), Some(ADMIN));
        assert_eq!(admit(&both, Some(MCP)), Ok(Admitted::McpToken));
        assert_eq!(admit(&both, Some(ADMIN)), Ok(Admitted::AdminToken));
        assert_eq!(
            admit(&config(None, Some(ADMIN)), Some(ADMIN)),
            Ok(Admitted::AdminToken)
        );
        assert_eq!(
            admit(&config(Some(MCP), None), Some(&format!(" {MCP}\n"))),
            Ok(Admitted::McpToken),
            "surrounding blanks (a pasted token) do not count"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        let both = config(Some(MCP), Some(ADMIN));
        assert_eq!(admit(&both, None), Err(Refused::Missing));
        assert_eq!(admit(&both, Some("  ")), Err(Refused::Missing));
        assert_eq!(
            admit(&both, Some("mcp-0123456789abcdeF")),
            Err(Refused::Wrong)
        );
        assert_eq!(
            admit(&config(Some(MCP), None), Some(ADMIN)),
            Err(Refused::Wrong),
            "the admin token admits only when it is configured"
        );
        assert_eq!(
            admit(&config(None, None), Some(MCP)),
            Err(Refused::NotConfigured)
        );
    }

    #[test]
    fn a_refusal_never_shows_a_token() {
        for refusal in [Refused::NotConfigured, Refused::Missing, Refused::Wrong] {
            let message = refusal.to_string();
            assert!(
                !message.contains(MCP) && !message.contains(ADMIN),
                "{message}"
            );
        }
    }
}

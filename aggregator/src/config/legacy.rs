//! The deployment's existing JSON config: `{"usage_tracking": {"enabled": …, "mysql": {…}}}`
//! with `${VAR}` placeholders in its strings.

use serde::Deserialize;
use serde_json::Value;

use super::Config;

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
    /// The CA certificate (PEM) of the server: verified TLS.
    #[serde(default)]
    ssl_ca: Option<String>,
    /// A Unix socket of a server on the same machine, instead of host and port.
    #[serde(default)]
    unix_socket: Option<String>,
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
    let mut raw: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    substitute(&mut raw, env)?;
    let file: File = serde_json::from_value(raw).map_err(|e| format!("unexpected shape: {e}"))?;
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
        url.query_pairs_mut().append_pair("require_ssl", "true");
    }
    if let Some(socket) = mysql.unix_socket.filter(|s| !s.is_empty()) {
        url.query_pairs_mut().append_pair("socket", &socket);
    }
    config.ssl_ca = mysql.ssl_ca.filter(|s| !s.is_empty()).map(Into::into);
    config.database_url = Some(url.to_string().into());
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

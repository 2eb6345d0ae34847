//! Configured values that must never be printed whole. Their `Debug` masks them, so `Config`
//! derives its own (`check-config` prints it) and a new knob cannot leak one by being listed.

use std::fmt;

use serde::Deserialize;

/// A value printed as `***` whatever it holds (the admin token); [`Secret::expose`] hands it to
/// the one place that uses it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// A database URL, printed with its password as `***`: the host, user and database stay
/// visible, which is what an operator reading `check-config` wants to check.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL as given, password included: for connecting only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&crate::store::redact_password(&self.0), f)
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let token = Secret::from("0123456789abcdef-token");
        assert_eq!(format!("{token:?}"), "\"***\"");
        assert_eq!(token.expose(), "0123456789abcdef-token");
        let url = DatabaseUrl::from("mysql://u:s3cret@db.example.com:3306/usage".to_string());
        assert_eq!(
            format!("{url:?}"),
            "\"mysql://u:***@db.example.com:3306/usage\""
        );
        assert_eq!(url.expose(), "mysql://u:s3cret@db.example.com:3306/usage");
        let parsed: Option<Secret> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(parsed.map(|s| s.expose().to_owned()), Some("abc".into()));
    }
}

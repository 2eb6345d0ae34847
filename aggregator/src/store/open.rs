//! Opening a store: where it is ([`Target`]), which store a URL names, for reading and writing
//! or reading only, and whether its schema is current.

use std::sync::Arc;

use super::{mysql, sqlite, Store, StoreError, DEFAULT_SQLITE_PATH};

/// Where the store is (`Config::database`), and for MySQL over TLS, the CA to trust.
#[derive(Clone, Default)]
pub struct Target {
    pub url: Option<String>,
    pub ssl_ca: Option<std::path::PathBuf>,
}

/// Written by hand so that a `{:?}` never prints the database password.
impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.describe())
            .field("ssl_ca", &self.ssl_ca)
            .finish()
    }
}

impl Target {
    /// The store as a message may name it: the URL with its password masked, or the default.
    pub fn describe(&self) -> String {
        match self.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => format!("sqlite:{DEFAULT_SQLITE_PATH} (the default)"),
            Some(url) => redact_password(url),
        }
    }
}

/// `url` with its password, if it has one, replaced by `***`.
pub fn redact_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<unparsable>".into(),
    }
}

impl Store {
    /// Opens the store `url` names: `mysql://...` or `sqlite:<path>`; `None` is the embedded
    /// default, [`DEFAULT_SQLITE_PATH`]. Checks that it answers, turning the usual failures into
    /// advice.
    pub async fn connect(url: Option<&str>) -> Result<Store, StoreError> {
        Self::open(&Target {
            url: url.map(str::to_owned),
            ssl_ca: None,
        })
        .await
    }

    /// As [`Store::connect`], with the CA that signed a MySQL server's certificate.
    pub async fn open(target: &Target) -> Result<Store, StoreError> {
        Self::open_as(target, Access::ReadWrite).await
    }

    /// Opens the store `target` names for reading only, never migrating it (the MCP server):
    /// SQLite's file must exist and is opened read-only, MySQL's transactions are read-only. A
    /// database whose schema is older than this build's is refused (a newer one is read, as
    /// `serve` would).
    pub async fn open_read_only(target: &Target) -> Result<Store, StoreError> {
        let store = Self::open_as(target, Access::ReadOnly).await?;
        store.readiness().await.map_err(StoreError::Setup)?;
        Ok(store)
    }

    async fn open_as(target: &Target, access: Access) -> Result<Store, StoreError> {
        let url = target
            .url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        match url {
            None => Self::sqlite(DEFAULT_SQLITE_PATH, access).await,
            Some(url) if url.starts_with("mysql://") => Ok(Store(Arc::new(
                mysql::MySqlStore::connect_as(url, target.ssl_ca.as_deref(), access).await?,
            ))),
            Some(url) => match sqlite::path_of(url) {
                Some(path) => Self::sqlite(path, access).await,
                None => Err(StoreError::Setup(format!(
                    "unsupported database URL scheme in {:?}: use mysql://user:password@host:port/database \
                     or sqlite:<path> (USAGE_DATABASE_URL)",
                    scheme_of(url)
                ))),
            },
        }
    }

    async fn sqlite(path: &str, access: Access) -> Result<Store, StoreError> {
        Ok(Store(Arc::new(match access {
            Access::ReadWrite => sqlite::SqliteStore::open(path).await?,
            Access::ReadOnly => sqlite::SqliteStore::open_read_only(path).await?,
        })))
    }
}

/// What a process may do with the store: `serve` and the commands write; the MCP server only
/// reads, and the database itself holds it to that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

/// Whether a database whose last migration is `applied` carries everything `runner` knows: a
/// newer one (a newer release's, see `history`) is past all of them, and so current.
pub(super) fn schema_is_current(
    runner: &refinery::Runner,
    applied: Option<refinery::Migration>,
) -> Result<(), String> {
    let latest = runner.get_migrations().iter().map(|m| m.version()).max();
    let applied = applied.map_or(0, |m| m.version());
    match latest {
        Some(latest) if applied < latest => Err(format!(
            "database schema at version {applied}, this build needs {latest}: run `usage-aggregator migrate`"
        )),
        _ => Ok(()),
    }
}

/// The scheme of a URL, never the rest (which may hold a password).
fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or("(none)", |(scheme, _)| scheme)
}

#[cfg(test)]
mod tests {
    use super::{schema_is_current, Target};

    #[test]
    fn a_schema_at_or_past_this_builds_newest_migration_is_current() {
        let ours =
            ["V1__a", "V2__b"].map(|n| refinery::Migration::unapplied(n, "SELECT 1;").unwrap());
        let runner = refinery::Runner::new(&ours);
        let at = |name: &str| Some(refinery::Migration::unapplied(name, "SELECT 1;").unwrap());
        assert!(schema_is_current(&runner, None).is_err());
        assert!(schema_is_current(&runner, at("V1__a")).is_err());
        assert!(schema_is_current(&runner, at("V2__b")).is_ok());
        assert!(schema_is_current(&runner, at("V3__a_newer_release")).is_ok());
    }

    #[test]
    fn a_target_debug_masks_the_password() {
        let target = Target {
            url: Some("mysql://usage:hunter2@db.example.com/usage".into()),
            ssl_ca: None,
        };
        let printed = format!("{target:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("usage:***@db.example.com"), "{printed}");
    }
}

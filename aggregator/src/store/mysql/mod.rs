//! The MySQL store (production, shared installs): the connection pool, migrations and readiness
//! here, one function per statement in the submodules.

mod adopt;
mod fold;
mod ingest;
mod journey;
mod lease;
mod salts;
mod select;
mod stats;
mod summary;
mod upkeep;

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use mysql_async::prelude::Queryable;
use mysql_async::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

use self::ingest::WriterConns;
use super::{history, schema_is_current, Access, Lifecycle, StoreError};

mod embedded {
    refinery::embed_migrations!("../sql/mysql");
}

pub struct MySqlStore {
    pool: Pool,
    /// The writer's connections, kept from one flush to the next (see `ingest`).
    writer_conns: WriterConns,
}

impl MySqlStore {
    /// Connects and checks that the server answers, turning the usual failures into advice.
    /// With `ssl_ca`, TLS is required and the server's certificate must be signed by that CA
    /// (and name the host, unless the URL says `verify_identity=false`).
    pub async fn connect(url: &str, ssl_ca: Option<&Path>) -> Result<MySqlStore, StoreError> {
        Self::connect_as(url, ssl_ca, Access::ReadWrite).await
    }

    /// As [`MySqlStore::connect`]; read-only, every transaction of every connection is
    /// `READ ONLY` (the MCP server): the server refuses any change this process would make
    /// (error 1792), whatever it runs.
    pub async fn connect_as(
        url: &str,
        ssl_ca: Option<&Path>,
        access: Access,
    ) -> Result<MySqlStore, StoreError> {
        // rustls picks its crypto provider from its features, and panics at the first TLS
        // connection when more than one is compiled in: a build that unifies features with a
        // crate wanting aws-lc-rs (the e2e tests' WebDriver client does) has both. Naming ring,
        // the one mysql_async is built for, makes the choice ours; an Err means one is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let opts = Opts::from_url(url)
            .map_err(|e| StoreError::Setup(format!("the database URL is not valid ({e}): expected mysql://user:password@host:port/database")))?;
        let shown = describe(&opts);
        let constraints = PoolConstraints::new(1, 8).expect("1 <= 8");
        let tls = match ssl_ca {
            Some(ca) => Some(
                opts.ssl_opts()
                    .cloned()
                    .unwrap_or_default()
                    .with_root_certs(vec![ca.to_path_buf().into()])
                    .with_disable_built_in_roots(true),
            ),
            None => opts.ssl_opts().cloned(),
        };
        let tls_on = tls.is_some();
        let opts = OptsBuilder::from_opts(opts)
            // Affected rows, not found rows (even if the URL asks): the write path counts the
            // feature events a flush inserted by them (see `ingest::run_script`).
            .client_found_rows(false)
            .ssl_opts(tls)
            .pool_opts(PoolOpts::default().with_constraints(constraints))
            .tcp_keepalive(Some(Duration::from_secs(10)));
        let opts = match access {
            Access::ReadWrite => opts,
            // `setup`, not `init`: the pool resets a connection it takes back, which resets its
            // session's access mode too; setup statements run again after each reset.
            Access::ReadOnly => opts.setup(vec!["SET SESSION TRANSACTION READ ONLY"]),
        };
        let store = MySqlStore {
            pool: Pool::new(opts),
            writer_conns: WriterConns::default(),
        };
        match tokio::time::timeout(Duration::from_secs(10), store.ping()).await {
            Ok(Ok(())) => Ok(store),
            Ok(Err(StoreError::MySql(e))) if worth_waiting(&e) => {
                Err(StoreError::Unreachable(advice(&shown, &e, tls_on)))
            }
            Ok(Err(StoreError::MySql(e))) => Err(StoreError::Setup(advice(&shown, &e, tls_on))),
            Ok(Err(other)) => Err(other),
            Err(_) => Err(StoreError::Unreachable(format!(
                "MySQL at {shown} did not answer within 10 s: check host, port and firewall (USAGE_DATABASE_URL)"
            ))),
        }
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Whether refinery's history table exists (it does once any release migrated).
    async fn has_history(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.get_conn().await?;
        let tables: Option<u64> = conn
            .exec_first(
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_name = ?",
                (history::HISTORY_TABLE,),
            )
            .await?;
        Ok(tables.unwrap_or(0) > 0)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.get_conn().await?;
        conn.query_drop("SELECT 1").await?;
        Ok(())
    }
}

#[async_trait]
impl Lifecycle for MySqlStore {
    async fn migrate(&self) -> Result<Vec<i32>, StoreError> {
        let mut pool = self.pool.clone();
        let runner = embedded::migrations::runner();
        let applied = if self.has_history().await? {
            runner.get_applied_migrations_async(&mut pool).await?
        } else {
            Vec::new()
        };
        if !history::before_running(runner.get_migrations(), &applied).map_err(StoreError::Setup)? {
            return Ok(Vec::new());
        }
        let report = runner.run_async(&mut pool).await?;
        Ok(report
            .applied_migrations()
            .iter()
            .map(|m| m.version())
            .collect())
    }

    async fn readiness(&self) -> Result<(), String> {
        let check = async {
            self.ping()
                .await
                .map_err(|e| format!("database unreachable: {e}"))?;
            let mut pool = self.pool.clone();
            let runner = embedded::migrations::runner();
            let applied = runner
                .get_last_applied_migration_async(&mut pool)
                .await
                .map_err(|e| format!("cannot read migration history: {e}"))?;
            schema_is_current(&runner, applied)
        };
        tokio::time::timeout(Duration::from_secs(3), check)
            .await
            .unwrap_or_else(|_| Err("database did not answer within 3 s".into()))
    }

    async fn disconnect(&self) {
        // The pool's disconnect waits for every connection, the writer's kept ones included.
        self.writer_conns.release();
        if let Err(e) = self.pool.clone().disconnect().await {
            tracing::warn!(error = %e, "closing the database pool");
        }
    }
}

/// user@host:port/db, never the password.
fn describe(opts: &Opts) -> String {
    format!(
        "{}@{}:{}/{}",
        opts.user().unwrap_or(""),
        opts.ip_or_hostname(),
        opts.tcp_port(),
        opts.db_name().unwrap_or("")
    )
}

/// Failures that a server starting beside us (a container, a managed database's failover) ends
/// by itself. Credentials, an unknown database and TLS certificate problems do not end by
/// waiting: they fail at once.
fn worth_waiting(error: &mysql_async::Error) -> bool {
    match error {
        // Refused, reset, timed out, no route, a name not resolving yet; but not a TLS
        // handshake that failed (rustls reports a refused certificate as invalid data).
        mysql_async::Error::Io(mysql_async::IoError::Io(e)) => !matches!(
            e.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
        ),
        // A server closing the connection while it starts or stops.
        mysql_async::Error::Driver(mysql_async::DriverError::ConnectionClosed) => true,
        // 1040 too many connections, 1047 node not ready (Galera), 1053 shutting down.
        mysql_async::Error::Server(e) => matches!(e.code, 1040 | 1047 | 1053),
        _ => false,
    }
}

fn advice(shown: &str, error: &mysql_async::Error, tls: bool) -> String {
    let hint = match error {
        // MariaDB answers a plain connection under require_secure_transport with 1045 too.
        mysql_async::Error::Server(e) if e.code == 1045 && !tls => {
            "the user or password is wrong, or the account may not connect from this host, or the server requires TLS (require_secure_transport): set ssl_ca (USAGE_SSL_CA) to its CA certificate or add ?require_ssl=true"
        }
        // 1698: MariaDB's "access denied" for an account that may not log in this way.
        mysql_async::Error::Server(e) if e.code == 1045 || e.code == 1698 => {
            "the user or password is wrong, or the account may not connect from this host"
        }
        mysql_async::Error::Server(e) if e.code == 1049 => {
            "the database does not exist: create it (CREATE DATABASE ...) or fix its name"
        }
        mysql_async::Error::Server(e) if e.code == 3159 => {
            "the server requires TLS: set ssl_ca (USAGE_SSL_CA) to its CA certificate or add ?require_ssl=true to the URL"
        }
        mysql_async::Error::Io(mysql_async::IoError::Io(e))
            if e.kind() == std::io::ErrorKind::InvalidData =>
        {
            "the server's TLS certificate was refused: is ssl_ca (USAGE_SSL_CA) the CA that signed it, and does the host name match the certificate?"
        }
        mysql_async::Error::Io(_) => {
            "the server cannot be reached: is it running, and are host and port right?"
        }
        _ => "check the database URL",
    };
    format!("cannot use MySQL at {shown}: {hint} ({error}). Set USAGE_DATABASE_URL or database_url in the config.")
}

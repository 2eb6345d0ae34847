//! A three-node MariaDB Galera cluster of a test binary's own, on loopback, in a temporary folder:
//! Debian's `galera-4` provider, rsync state transfers, each node on ports of its own. Its owner
//! may kill a node as a crash would (`kill -9`), restart it (it rejoins by IST or SST), and stop
//! and restart the whole cluster. Installed by `make tools` (scripts/install-scale-out.sh).
//!
//! The nodes run as user `mysql`: rsync SST fails as root (the joiner's rsync daemon drops to
//! `nobody` and can no longer write a root-owned datadir). Forming the cluster takes about 13 s on
//! a 2-core machine, so a test binary starts one and shares it among its tests.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;

use crate::free_port;

const PROVIDER: &str = "/usr/lib/galera/libgalera_smm.so";

/// How long a node may take to start, join and reach `Synced`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(120);

struct Node {
    /// The SQL port.
    port: u16,
    /// Group communication (`gmcast.listen_addr`).
    gcomm: u16,
    /// Incremental state transfer receiver (`ist.recv_addr`).
    ist: u16,
    /// Full state transfer receiver (`wsrep_sst_receive_address`).
    sst: u16,
    child: Option<Child>,
}

pub struct GaleraCluster {
    dir: tempfile::TempDir,
    nodes: Vec<Node>,
    /// `mariadbd` options of the owner's, after the cluster's own (kept for restarts).
    options: Vec<String>,
}

fn chown_mysql(path: &Path) -> Result<(), String> {
    let status = Command::new("chown")
        .args(["-R", "mysql:mysql"])
        .arg(path)
        .status()
        .map_err(|e| format!("chown: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("chown mysql {} failed", path.display()))
}

/// The error log of a node, for a panic message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

impl GaleraCluster {
    /// Whether this machine can run a cluster (the provider and rsync are installed).
    pub fn installed() -> bool {
        Path::new(PROVIDER).exists() && Path::new("/usr/bin/rsync").exists()
    }

    /// Three nodes, formed and synced; panics when they cannot start (say, `make tools` not run).
    pub async fn start() -> GaleraCluster {
        Self::try_start(3).await.unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn try_start(size: usize) -> Result<GaleraCluster, String> {
        Self::try_start_with(size, &[]).await
    }

    /// `size` nodes with extra `mariadbd` options, which override the cluster's own (say, the
    /// benchmark's buffer pool in place of the tests' small one).
    pub async fn try_start_with(size: usize, options: &[String]) -> Result<GaleraCluster, String> {
        if !Self::installed() {
            return Err(format!(
                "Galera is not installed ({PROVIDER}): run `make tools` (scripts/install-scale-out.sh)"
            ));
        }
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary folder: {e}"))?;
        let mut nodes = Vec::new();
        for _ in 0..size {
            nodes.push(Node {
                port: free_port()?,
                gcomm: free_port()?,
                ist: free_port()?,
                sst: free_port()?,
                child: None,
            });
        }
        let mut cluster = GaleraCluster {
            dir,
            nodes,
            options: options.to_vec(),
        };
        // Only the first node gets a system database: the others receive the first's by SST.
        cluster.install_system_database()?;
        for node in 1..size {
            std::fs::create_dir_all(cluster.datadir(node)).map_err(|e| e.to_string())?;
        }
        chown_mysql(cluster.dir.path())?;
        cluster.spawn(0, true)?;
        cluster.wait_synced(0).await?;
        for node in 1..size {
            cluster.spawn(node, false)?;
        }
        for node in 1..size {
            cluster.wait_synced(node).await?;
        }
        Ok(cluster)
    }

    pub fn size(&self) -> usize {
        self.nodes.len()
    }

    /// `mysql://root@127.0.0.1:PORT` of node `node`, without a database.
    pub fn url(&self, node: usize) -> String {
        format!("mysql://root@127.0.0.1:{}", self.nodes[node].port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The process id of node `node` (0 while it is killed or stopped).
    pub fn pid(&self, node: usize) -> u32 {
        self.nodes[node].child.as_ref().map_or(0, Child::id)
    }

    /// `mariadb-install-db` into node 0's folder. It failed once in a CI run (output not kept
    /// then) while other clusters started beside it: its output now goes into the error, and a
    /// failed attempt is retried once on an empty folder.
    fn install_system_database(&self) -> Result<(), String> {
        let datadir = self.datadir(0);
        let mut last = String::new();
        for _attempt in 0..2 {
            let _ = std::fs::remove_dir_all(&datadir);
            let output = Command::new("mariadb-install-db")
                .args([
                    "--no-defaults",
                    "--user=mysql",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ])
                .arg(format!("--datadir={}", datadir.display()))
                .stdin(Stdio::null())
                .output()
                .map_err(|e| format!("mariadb-install-db is not installed: {e}"))?;
            if output.status.success() {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&output.stderr).into_owned()
                + &String::from_utf8_lossy(&output.stdout);
            let lines: Vec<&str> = text.lines().collect();
            last = lines[lines.len().saturating_sub(20)..].join("\n");
            eprintln!(
                "mariadb-install-db failed ({}), retrying once:\n{last}",
                output.status
            );
        }
        Err(format!(
            "mariadb-install-db failed twice; the last output:\n{last}"
        ))
    }

    fn datadir(&self, node: usize) -> PathBuf {
        self.dir.path().join(format!("node{node}"))
    }

    fn error_log(&self, node: usize) -> PathBuf {
        self.dir.path().join(format!("node{node}.err"))
    }

    fn spawn(&mut self, node: usize, bootstrap: bool) -> Result<(), String> {
        let peers: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.gcomm))
            .collect();
        let base = self.dir.path().to_path_buf();
        let n = &self.nodes[node];
        let mut command = Command::new("mariadbd");
        command
            .args([
                "--no-defaults",
                "--user=mysql",
                "--bind-address=127.0.0.1",
                "--innodb-buffer-pool-size=32M",
                "--binlog-format=ROW",
                "--innodb-autoinc-lock-mode=2",
                "--default-storage-engine=InnoDB",
                "--wsrep-on=ON",
                "--wsrep-sst-method=rsync",
                "--wsrep-node-address=127.0.0.1",
                // Causal reads only (1): a report read through any node sees what any replica
                // acknowledged. What the writer stores does not depend on it since issue 26
                // (run counters from the flush's own affected rows under the session's lock;
                // docs/scale-out.md, "wsrep_sync_wait"); the scale-out suite runs with it.
                "--wsrep-sync-wait=1",
            ])
            .arg(format!("--wsrep-provider={PROVIDER}"))
            .arg(format!("--wsrep-node-name=node{node}"))
            .arg(format!("--wsrep-cluster-address=gcomm://{}", peers.join(",")))
            .arg(format!(
                "--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:{};ist.recv_addr=127.0.0.1:{};gcache.size=64M",
                n.gcomm, n.ist
            ))
            .arg(format!("--wsrep-sst-receive-address=127.0.0.1:{}", n.sst))
            .arg(format!("--datadir={}", base.join(format!("node{node}")).display()))
            .arg(format!("--socket={}", base.join(format!("node{node}.sock")).display()))
            .arg(format!("--pid-file={}", base.join(format!("node{node}.pid")).display()))
            .arg(format!("--log-error={}", base.join(format!("node{node}.err")).display()))
            .arg(format!("--port={}", n.port))
            .args(&self.options);
        if bootstrap {
            command.arg("--wsrep-new-cluster");
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("mariadbd is not installed: {e}"))?;
        self.nodes[node].child = Some(child);
        Ok(())
    }

    /// `wsrep_local_state_comment` of a node, when it answers.
    pub async fn state(&self, node: usize) -> Option<String> {
        let pool = mysql_async::Pool::new(self.url(node).as_str());
        let state = async {
            let mut conn = pool.get_conn().await.ok()?;
            let row: Option<(String, String)> = conn
                .query_first("SHOW STATUS LIKE 'wsrep_local_state_comment'")
                .await
                .ok()?;
            row.map(|(_, value)| value)
        };
        let state = tokio::time::timeout(Duration::from_secs(5), state)
            .await
            .ok()
            .flatten();
        let _ = pool.disconnect().await;
        state
    }

    /// Waits until node `node` is `Synced` (a member of the primary component, caught up).
    pub async fn wait_synced(&self, node: usize) -> Result<(), String> {
        let deadline = Instant::now() + JOIN_TIMEOUT;
        loop {
            if self.state(node).await.as_deref() == Some("Synced") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "Galera node {node} did not sync within {JOIN_TIMEOUT:?}; its log ends:\n{}",
                    tail(&self.error_log(node))
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Cuts node `node` off the cluster's network (`gmcast.isolate`) or reconnects it: cut off,
    /// it is a non-primary component of one, without quorum, answering ERROR 1047. Reconnecting
    /// by SQL can wait on the node's own locks (ERROR 1205): `kill` and `restart` it instead.
    pub async fn isolate(&self, node: usize, isolated: bool) {
        let pool = mysql_async::Pool::new(self.url(node).as_str());
        let mut conn = pool.get_conn().await.expect("the node answers");
        conn.query_drop(format!(
            "SET GLOBAL wsrep_provider_options = 'gmcast.isolate={}'",
            u8::from(isolated)
        ))
        .await
        .expect("gmcast.isolate is set");
        drop(conn);
        let _ = pool.disconnect().await;
    }

    /// Kills node `node` as a crash would (SIGKILL): no shutdown, no goodbye to the cluster.
    pub fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops node `node` cleanly (SIGTERM), leaving the cluster.
    pub fn stop(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Starts a killed or stopped node again; it rejoins the running cluster (IST when the
    /// cluster's cache still holds what it missed, else rsync SST). Panics when it cannot.
    pub async fn restart(&mut self, node: usize) {
        self.spawn(node, false).unwrap_or_else(|e| panic!("{e}"));
        self.wait_synced(node)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A full cluster restart: every node stopped cleanly one after another, then the last one
    /// stopped (the one whose state file says it may bootstrap) starts a new primary component
    /// and the others join it.
    pub async fn restart_all(&mut self) {
        let last = self.nodes.len() - 1;
        for node in 0..=last {
            self.stop(node);
        }
        self.spawn(last, true).unwrap_or_else(|e| panic!("{e}"));
        self.wait_synced(last)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for node in 0..last {
            self.spawn(node, false).unwrap_or_else(|e| panic!("{e}"));
        }
        for node in 0..last {
            self.wait_synced(node)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

impl Drop for GaleraCluster {
    fn drop(&mut self) {
        for node in 0..self.nodes.len() {
            self.kill(node);
        }
    }
}

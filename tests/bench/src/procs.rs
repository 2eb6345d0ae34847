//! The servers under test, each a child process of its own so that its memory and CPU are its
//! own: the release aggregator, and a bare axum handler (this binary run as `bare-server`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// A child server, killed when dropped.
pub struct Server {
    pub addr: SocketAddr,
    child: Child,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the process now and at its peak, in KiB (/proc/<pid>/status).
    pub fn memory_kib(&self) -> anyhow::Result<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0)
        };
        Ok((field("VmRSS:"), field("VmHWM:")))
    }

    /// Asks the process to stop (SIGTERM: the aggregator drains, a profiler writes its output),
    /// kills it if it has not exited within 60 s.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binaries this bench was built with sit next to it (target/release).
pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} is missing: build it with `cargo build --release -p usage-aggregator`",
        path.display()
    );
    Ok(path)
}

/// `usage-aggregator fold`: applies what the heartbeat journal holds (`USAGE_HEARTBEAT_JOURNAL`,
/// inherited by the aggregator the bench starts) before a check reads the sessions. A release
/// without the command (an older build measured beside this one) has no journal: its failure
/// is ignored.
pub fn fold(database_url: &str) -> anyhow::Result<()> {
    let _ = Command::new(sibling("usage-aggregator")?)
        .arg("fold")
        .env("USAGE_DATABASE_URL", database_url)
        .env("USAGE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    Ok(())
}

/// `usage-aggregator serve` on a free loopback port, logging warnings only. BENCH_WRAP (for
/// example `valgrind --tool=callgrind`) runs it under a profiler; RSS is then the profiler's.
pub async fn aggregator(database_url: &str) -> anyhow::Result<Server> {
    aggregator_logging(
        database_url,
        &[("USAGE_LOG", "warn")],
        Stdio::inherit(),
        false,
    )
    .await
}

/// The same with the edge's defaults (rate limits, connection cap), behind a trusted proxy at
/// 127.0.0.1 so that `Conn::connect_as` clients count apart: figure h.
pub async fn aggregator_guarded(database_url: &str) -> anyhow::Result<Server> {
    let env = [
        ("USAGE_LOG", "error"),
        ("USAGE_TRUSTED_PROXIES", "127.0.0.1"),
    ];
    aggregator_logging(database_url, &env, Stdio::inherit(), true).await
}

/// `usage-aggregator serve` with extra environment (logging warnings only).
pub async fn aggregator_with(database_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Server> {
    let mut all = vec![("USAGE_LOG", "warn")];
    all.extend_from_slice(env);
    aggregator_logging(database_url, &all, Stdio::inherit(), false).await
}

/// The same on the embedded store: a SQLite file at `path`, its writer's flushes (one JSON line
/// each, with the requests it carried) logged to `log`.
pub async fn aggregator_sqlite(path: &Path, log: &Path) -> anyhow::Result<Server> {
    let log = std::fs::File::create(log).context("creating the aggregator's log")?;
    let url = format!("sqlite:{}", path.display());
    let env = [
        ("USAGE_LOG", "warn,usage_aggregator::pipeline::writer=debug"),
        ("USAGE_LOG_FORMAT", "json"),
    ];
    aggregator_logging(&url, &env, log.into(), false).await
}

async fn aggregator_logging(
    database_url: &str,
    log_env: &[(&str, &str)],
    stderr: Stdio,
    guarded: bool,
) -> anyhow::Result<Server> {
    let port = super::free_port()?;
    let binary = sibling("usage-aggregator")?;
    let wrap = std::env::var("BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(&binary);
            c
        }
        None => Command::new(&binary),
    };
    // The throughput figures measure capacity from one load generator on one address: without
    // rate limits, and with connections enough for figure b's 1,000 sessions (all of them from
    // that one address, so per client too).
    if !guarded {
        command
            .env("USAGE_RATE_LIMITS", "false")
            .env("USAGE_MAX_CONNECTIONS", "8192")
            .env("USAGE_MAX_CONNECTIONS_PER_CLIENT", "8192");
    }
    let child = command
        .arg("serve")
        .env("USAGE_DATABASE_URL", database_url)
        .env("USAGE_LISTEN", format!("127.0.0.1:{port}"))
        .envs(log_env.iter().copied())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .context("starting usage-aggregator")?;
    wait_for(child, port).await
}

/// This binary as `bare-server PORT`: the ceiling of HTTP on this machine.
pub async fn bare() -> anyhow::Result<Server> {
    let port = super::free_port()?;
    let child = Command::new(std::env::current_exe()?)
        .args(["bare-server", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .context("starting the bare server")?;
    wait_for(child, port).await
}

async fn wait_for(child: Child, port: u16) -> anyhow::Result<Server> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut server = Server { addr, child };
    let deadline = Instant::now() + Duration::from_secs(60);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Some(status) = server.child.try_wait()? {
            anyhow::bail!("the server exited early ({status})");
        }
        anyhow::ensure!(Instant::now() < deadline, "the server did not listen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(server)
}

/// The bare handler: reads the whole body, answers 200.
pub async fn serve_bare(port: u16) -> anyhow::Result<()> {
    use axum::routing::post;
    let app = axum::Router::new().route(
        crate::load::PATH,
        post(|body: axum::body::Bytes| async move {
            std::hint::black_box(body.len());
            axum::http::StatusCode::OK
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

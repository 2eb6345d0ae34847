//! The aggregator under test: in-process on port 0 with a hand-moved clock, or the real binary
//! as a child process whose log output the test reads.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use usage_aggregator::clock::ManualClock;
use usage_aggregator::config::Config;
use usage_aggregator::jobs::Jobs;
use usage_aggregator::startup::Application;

use super::{StoreKind, TestDb};

pub const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    pub clock: Arc<ManualClock>,
    pub jobs: Jobs,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Runs one command of the real binary against `db` and waits; returns (success, stdout + stderr).
/// It logs warnings only, unless `env` sets USAGE_LOG.
pub fn run_command(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .env_clear()
        .env("USAGE_DATABASE_URL", db.url())
        .env("USAGE_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

pub fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

impl TestApp {
    /// The app with the default configuration over a fresh database of `kind`.
    pub async fn spawn(kind: StoreKind) -> TestApp {
        Self::spawn_with(kind, |_| {}).await
    }

    pub async fn spawn_with(kind: StoreKind, adjust: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_on(TestDb::create(kind).await, adjust).await
    }

    pub async fn spawn_on(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(db.url().into()),
            // A loaded test machine can take seconds to commit; the 503 it would otherwise
            // answer is right in production but would make tests that expect 200 flaky.
            flush_timeout_secs: 60,
            // Tests roll up when the data they want is in place (one test turns this on).
            rollup_at_start: false,
            ..Config::default()
        };
        adjust(&mut config);
        let clock = ManualClock::new(noon());
        let app = Application::build(&config, clock.clone())
            .await
            .expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let jobs = app.jobs();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp {
            address,
            db,
            clock,
            jobs,
            http: reqwest::Client::new(),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// The summary refresh `serve` runs every `summary_refresh_secs` (the real path: the rollup
    /// of the days touched since the last pass, under the reports lease). The stats routes read
    /// the summaries only, so a test that ingests and then reads figures refreshes in between.
    pub async fn refresh_summaries(&self) {
        let round = self.jobs.run_refresh().await;
        round.expect("the summary refresh runs");
    }

    /// Posts a batch the way sendBeacon does (text/plain) from Firefox.
    pub async fn post(&self, batch: &Value) -> reqwest::Response {
        self.post_with(batch, &[]).await
    }

    pub async fn post_with(&self, batch: &Value, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/v1/events", self.address))
            .header("content-type", "text/plain;charset=UTF-8")
            .header("user-agent", FIREFOX)
            .body(batch.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the aggregator answers")
    }

    /// The status a GET of `path` answers.
    pub async fn status_of(&self, path: &str) -> u16 {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .send()
            .await;
        response.expect("the aggregator answers").status().as_u16()
    }

    /// Posts and insists on 200.
    pub async fn store(&self, batch: &Value) {
        let response = self.post(batch).await;
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap());
    }

    /// Stops the server the way SIGTERM does, waits for the drain, and hands back the database.
    pub async fn shutdown(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.db
    }
}

/// The release-shaped binary as a child process, its stderr collected.
pub struct BinaryApp {
    pub address: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl BinaryApp {
    pub fn spawn(env: &[(&str, &str)]) -> BinaryApp {
        Self::spawn_in(&std::env::current_dir().unwrap(), env)
    }

    /// Runs it in the folder `dir` (where a relative database path lands).
    pub fn spawn_in(dir: &std::path::Path, env: &[(&str, &str)]) -> BinaryApp {
        let exe = std::path::Path::new(env!("CARGO_BIN_EXE_usage-aggregator"));
        Self::spawn_exe(exe, dir, env)
    }

    /// Runs the aggregator binary `exe` (this build's or another release's) in `dir`.
    pub fn spawn_exe(
        exe: &std::path::Path,
        dir: &std::path::Path,
        env: &[(&str, &str)],
    ) -> BinaryApp {
        let mut command = Command::new(exe);
        command.arg("serve");
        Self::start(command, dir, env)
    }

    /// Runs it under the file-creation mask `umask` (octal, as the shell's `umask` takes it).
    pub fn spawn_under_umask(
        dir: &std::path::Path,
        umask: &str,
        env: &[(&str, &str)],
    ) -> BinaryApp {
        let mut command = Command::new("/bin/sh");
        // `sh -c SCRIPT NAME ARGS...`: the mask is $0, the binary and its arguments are "$@".
        command.args([
            "-c",
            "umask \"$0\" && exec \"$@\"",
            umask,
            env!("CARGO_BIN_EXE_usage-aggregator"),
            "serve",
        ]);
        Self::start(command, dir, env)
    }

    fn start(mut command: Command, dir: &std::path::Path, env: &[(&str, &str)]) -> BinaryApp {
        let mut child = command
            .current_dir(dir)
            .env_clear()
            .env("USAGE_LISTEN", "127.0.0.1:0")
            .env("USAGE_LOG", "trace")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let log = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = loop {
            let text = log.lock().unwrap().clone();
            if let Some(at) = text.find("serving address=") {
                let rest = &text[at + "serving address=".len()..];
                break format!("http://{}", rest.split_whitespace().next().unwrap());
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the aggregator exited with {status}:\n{text}");
            }
            assert!(
                Instant::now() < deadline,
                "the aggregator did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        BinaryApp {
            address,
            child,
            log,
        }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Kills it with SIGKILL (a crash, an OOM kill), waits, and returns everything it logged.
    pub fn crash(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        self.log()
    }

    /// Stops it with SIGTERM, waits, and returns everything it logged.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let log = self.log.lock().unwrap().clone();
        (status, log)
    }
}

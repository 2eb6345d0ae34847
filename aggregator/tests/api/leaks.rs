//! What the aggregator must not give away: the SQLite files to other local users whatever the
//! umask, the stats API to a placeholder token, `/metrics` to whoever reaches the public port
//! (with `metrics_listen`), and feature or site names a browser would normalize out of a
//! drill-down URL. (`/readyz` saying nothing of the database: start_waiting.rs and outage.rs.)

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestApp, TestDb};

fn mode(path: &Path) -> u32 {
    let metadata = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    metadata.permissions().mode() & 0o777
}

#[tokio::test]
async fn the_sqlite_folder_and_files_are_private_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("state");
    let path = folder.join("data").join("usage.sqlite3");
    let url = format!("sqlite:{}", path.display());
    // A umask that hides nothing: what SQLite and the folder would get is all the mode allows.
    let app = BinaryApp::spawn_under_umask(
        dir.path(),
        "000",
        &[("USAGE_DATABASE_URL", &url), ("USAGE_LOG", "info")],
    );
    let mut script = SessionScript::new();
    let events = vec![script.start(0.0), script.run(1.0, 3, None)];
    let stored = reqwest::Client::new()
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", "text/plain")
        .body(script.batch(2.0, events).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200, "a write: the log and its index exist");
    let file = |suffix: &str| path.with_file_name(format!("usage.sqlite3{suffix}"));
    for file in [file(""), file("-wal"), file("-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    for folder in [folder.clone(), folder.join("data")] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
}

/// Runs `usage-aggregator ARGS` with `env`; its exit code and output, or a panic if it is still
/// running after a minute (a `serve` that accepted what it should refuse).
fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn placeholder_admin_tokens_are_refused_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("usage.sqlite3").display());
    for token in [
        // docs/deploy/kubernetes.yaml's, as shipped.
        "change-me-to-openssl-rand-hex-24-output",
        "change-me-0123456789abcdef",
        "Change-Me-To-Something-Long",
        // The demo's token the Makefile once published.
        "local-demo-token-not-secret",
    ] {
        let env = [
            ("USAGE_DATABASE_URL", url.as_str()),
            ("USAGE_LISTEN", "127.0.0.1:0"),
            ("USAGE_ADMIN_TOKEN", token),
        ];
        for command in ["check-config", "serve"] {
            let (code, out) = run_to_exit(&[command], &env);
            assert_ne!(code, 0, "{command} with {token:?}: {out}");
            assert!(out.contains("placeholder"), "{command}: {out}");
            assert!(out.contains("openssl rand -hex 24"), "{command}: {out}");
        }
    }
    let (code, out) = run_to_exit(
        &["check-config"],
        &[("USAGE_ADMIN_TOKEN", "d41d8cd98f00b204e9800998ecf8427e0123")],
    );
    assert_eq!(code, 0, "a real token passes: {out}");
}

both_stores!(names_made_only_of_dots_are_refused);
async fn names_made_only_of_dots_are_refused(kind: StoreKind) {
    let app = &TestApp::spawn(kind).await;
    let send = |batch: Value| async move {
        let response = app
            .http
            .post(format!("{}/api/v1/events", app.address))
            .header("content-type", "text/plain")
            .body(batch.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };
    for name in [".", "..", "..."] {
        let mut script = SessionScript::new();
        let events = vec![script.start(0.0), script.feature(1.0, name)];
        let (status, body) = send(script.batch(2.0, events)).await;
        assert_eq!(status, 422, "feature {name:?}: {body}");
        assert_eq!(body["field"], "events[1].name", "{body}");
        let mut script = SessionScript::new();
        script.site = name.into();
        let events = vec![script.start(0.0)];
        let (status, body) = send(script.batch(1.0, events)).await;
        assert_eq!(status, 422, "site {name:?}: {body}");
        assert_eq!(body["field"], "site", "{body}");
    }
    // Dots among other characters stay fine: `v1.2` and `menu.open` are names.
    let mut script = SessionScript::new();
    let events = vec![script.start(0.0), script.feature(1.0, "menu.open")];
    assert_eq!(send(script.batch(2.0, events)).await.0, 200);
    for table in ["ide_sessions", "feature_usage"] {
        assert_eq!(app.db.count(table).await, 1, "{table}: only the good batch");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

both_stores!(metrics_listen_moves_metrics_off_the_public_port);
async fn metrics_listen_moves_metrics_off_the_public_port(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let metrics_address = format!("127.0.0.1:{}", free_port());
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_LOG", "info"),
        ("USAGE_METRICS_LISTEN", &metrics_address),
    ]);
    let http = reqwest::Client::new();
    let get = |url: String| {
        let http = http.clone();
        async move {
            let response = http.get(url).send().await.expect("answered");
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (status, text) = get(format!("http://{metrics_address}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("usage_database_available 1"), "{text}");
    let (status, _) = get(format!("{}/metrics", app.address)).await;
    assert_eq!(status, 404, "not on the public port");
    // The metrics port serves nothing else.
    for path in ["/healthz", "/api/v1/stats/daily", "/dashboard.html"] {
        let (status, _) = get(format!("http://{metrics_address}{path}")).await;
        assert_eq!(status, 404, "{path} on the metrics port");
    }
    assert_eq!(get(format!("{}/healthz", app.address)).await.0, 200);
    let (status, log) = app.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains(&format!("serving metrics address={metrics_address}")),
        "{log}"
    );
}

#[test]
fn the_shipped_kubernetes_manifest_keeps_metrics_and_the_api_token_apart() {
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/deploy/kubernetes.yaml"),
    )
    .unwrap();
    assert!(
        manifest.contains("USAGE_METRICS_LISTEN"),
        "metrics on their own port"
    );
    assert!(manifest.contains("automountServiceAccountToken: false"));
    assert!(
        !manifest.contains("value: 10.0.0.0/8"),
        "the trusted proxy is named precisely, not a whole private network"
    );
}

/// `make demo-token`: a random token made once, private to the user, never the one the Makefile
/// once published.
#[test]
fn the_demo_token_is_random_made_once_and_private() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("demo/admin-token");
    let make = || {
        let output = Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(&root)
            .arg("demo-token")
            .arg(format!("DEMO_TOKEN_FILE={}", token_file.display()))
            .output()
            .expect("make runs");
        assert!(output.status.success(), "{output:?}");
        std::fs::read_to_string(&token_file).unwrap()
    };
    let token = make();
    assert_eq!(token.len(), 48, "{token:?}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token:?}");
    assert_eq!(make(), token, "made once, the same at each start");
    assert_eq!(mode(&token_file), 0o600);
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    assert!(!makefile.contains("local-demo-token-not-secret"));
    std::fs::remove_file(&token_file).unwrap();
    assert_ne!(make(), token, "a new checkout gets a token of its own");
}

/// `allowed_hosts` (what `make run` sets): a page using DNS rebinding reaches the demo on
/// 127.0.0.1 under its own name, which is not on the list: 421, nothing read or written.
#[tokio::test]
async fn only_allowed_host_names_are_answered() {
    let db = TestDb::create(StoreKind::Sqlite).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_LOG", "info"),
        ("USAGE_ALLOWED_HOSTS", "127.0.0.1,localhost"),
        ("USAGE_ADMIN_TOKEN", "d41d8cd98f00b204e9800998ecf8427e0123"),
    ]);
    let http = reqwest::Client::new();
    let status = |host: &'static str, path: &'static str| {
        let request = http
            .get(format!("{}{path}", app.address))
            .header("host", host);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let port = app.address.rsplit(':').next().unwrap().to_string();
    let ours: &'static str = Box::leak(format!("127.0.0.1:{port}").into_boxed_str());
    let named: &'static str = Box::leak(format!("LOCALHOST:{port}").into_boxed_str());
    assert_eq!(status(ours, "/healthz").await, 200);
    assert_eq!(status(named, "/healthz").await, 200, "names in any case");
    for path in ["/healthz", "/api/v1/stats/daily", "/dashboard.html"] {
        assert_eq!(
            status("rebound.example:8080", path).await,
            421,
            "{path} under a name not on the list"
        );
    }
    let mut script = SessionScript::new();
    let events = vec![script.start(0.0)];
    let posted = http
        .post(format!("{}/api/v1/events", app.address))
        .header("host", "rebound.example:8080")
        .header("content-type", "text/plain")
        .body(script.batch(1.0, events).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 421);
    app.stop();
    assert_eq!(db.count("ide_sessions").await, 0, "nothing written");
}

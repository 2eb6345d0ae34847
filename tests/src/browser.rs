//! Headless Chromium driven over WebDriver: chromedriver on a free port, one session per test.

use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Map, Value};
use tokio::process::{Child, Command};

/// Flags Chromium needs as root on these machines, and none of its background network calls.
const CHROMIUM_ARGS: &[&str] = &[
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,900",
];

pub struct Browser {
    pub client: Client,
    driver: Child,
    /// Chromium when this harness started it (`launch_own`), to be killed like a crash would.
    chromium: Option<(Child, tempfile::TempDir)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    pub async fn launch() -> Browser {
        Self::connect(
            json!({"binary": "/usr/bin/chromium", "args": CHROMIUM_ARGS}),
            None,
        )
        .await
    }

    /// Chromium started by the test itself (its own profile, DevTools on a free port), with
    /// chromedriver attached to it: [`Browser::kill`] can then end it as a crash would.
    pub async fn launch_own() -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let devtools = free_port();
        let chromium = Command::new("/usr/bin/chromium")
            .args(CHROMIUM_ARGS)
            .arg(format!("--remote-debugging-port={devtools}"))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromium is installed (apt: chromium)");
        let options = json!({"debuggerAddress": format!("127.0.0.1:{devtools}")});
        Self::connect(options, Some((chromium, profile))).await
    }

    /// SIGKILLs the browser this harness started: no pagehide, no beacon, nothing more sent.
    pub async fn kill(&mut self) {
        let (chromium, _) = self.chromium.as_mut().expect("started by launch_own");
        chromium.start_kill().expect("SIGKILL");
        chromium.wait().await.expect("chromium exits");
    }

    async fn connect(
        chrome_options: Value,
        chromium: Option<(Child, tempfile::TempDir)>,
    ) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver is installed (apt: chromium-driver)");
        // Two TLS backends are linked in; chromedriver is plain HTTP, but rustls wants one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut caps = Map::new();
        caps.insert("goog:chromeOptions".into(), chrome_options);
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::rustls()
                .expect("TLS roots")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                Err(error) if Instant::now() > deadline => {
                    panic!("chromedriver did not answer: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Browser {
            client,
            driver,
            chromium,
        }
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp(json!({"cmd": cmd, "params": params})))
            .await
            .expect("CDP command")
    }

    /// Really hides the page (the document gets `visibilitychange` to hidden): minimizes the window.
    pub async fn set_window_minimized(&self, minimized: bool) {
        let target = self.cdp("Browser.getWindowForTarget", json!({})).await;
        let window = target["windowId"].clone();
        let state = if minimized { "minimized" } else { "normal" };
        self.cdp(
            "Browser.setWindowBounds",
            json!({"windowId": window, "bounds": {"windowState": state}}),
        )
        .await;
    }

    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("script runs")
    }

    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

#[derive(Debug)]
struct Cdp(Value);

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.0.to_string()))
    }
}

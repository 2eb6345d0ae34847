//! A Prometheus server of a test's own (Debian's `prometheus`, installed by `make tools`), on a
//! free loopback port with its data in a temporary folder, scraping one target every second.
//! Killed when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ThrowawayPrometheus {
    _dir: tempfile::TempDir,
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

impl ThrowawayPrometheus {
    /// Starts Prometheus scraping `target` (`host:port`) at `/metrics` every second, as job
    /// `usage-aggregator`; waits until its HTTP API answers. Panics when it cannot.
    pub async fn scraping(target: &str) -> ThrowawayPrometheus {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: usage-aggregator\n    scrape_interval: 1s\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("the Prometheus config");
        let port = crate::free_port().expect("a free port");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is installed (bash scripts/install-prometheus.sh)");
        let server = ThrowawayPrometheus {
            _dir: dir,
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/-/ready", server.address)).await {
                if r.status().is_success() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus did not start within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The value of an instant query's single series, or None when it has none (yet).
    pub async fn value(&self, query: &str) -> Option<f64> {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v1/query", self.address))
            .query(&[("query", query)])
            .send()
            .await
            .ok()?;
        let body: serde_json::Value = response.json().await.ok()?;
        let text = body["data"]["result"].get(0)?["value"]
            .get(1)?
            .as_str()?
            .to_owned();
        text.parse().ok()
    }

    /// Waits until `query` yields a value `accept` likes; returns it. Panics after a minute.
    pub async fn wait_for(&self, query: &str, accept: impl Fn(f64) -> bool) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let value = self.value(query).await;
            if let Some(v) = value.filter(|v| accept(*v)) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "{query}: still {value:?} after a minute"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for ThrowawayPrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Figure e: what a page with the one tag downloads for the client, over HTTP from the real
//! aggregator, as a browser asks for it (`Accept-Encoding: br, gzip`): `usage.js` (the loader
//! with the JS glue bundled in) and the wasm, the bytes of each response body as sent. The
//! aggregator runs on a throwaway SQLite file and serves the build in target/usage-client.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a page loads, in the order it loads them.
const FILES: [&str; 2] = ["usage.js", "usage_client_bg.wasm"];

pub struct Download {
    pub file: &'static str,
    pub encoding: String,
    pub bytes: u64,
    pub raw: u64,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn dir() -> PathBuf {
    root().join("target/usage-client")
}

/// `None` when the client has not been built (`make client`).
pub async fn measure() -> anyhow::Result<Option<Vec<Download>>> {
    if !dir().join("usage_client_bg.wasm").exists() {
        return Ok(None);
    }
    let tmp = std::env::temp_dir().join(format!("usage-bench-e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let url = format!("sqlite:{}", tmp.join("e.sqlite3").display());
    let client_dir = dir().display().to_string();
    let server = super::procs::aggregator_with(&url, &[("USAGE_CLIENT_DIR", &client_dir)]).await?;
    let mut out = Vec::new();
    for file in FILES {
        let (encoding, bytes) = download(server.addr, &format!("/usage/{file}")).await?;
        let raw = std::fs::metadata(dir().join(file))?.len();
        out.push(Download {
            file,
            encoding,
            bytes,
            raw,
        });
    }
    server.stop();
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(Some(out))
}

/// GETs `path` as a browser would and returns the response's Content-Encoding and body length.
async fn download(addr: SocketAddr, path: &str) -> anyhow::Result<(String, u64)> {
    anyhow::ensure!(addr.ip().is_loopback(), "the bench only targets 127.0.0.1");
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: br, gzip\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no HTTP head")?;
    let head = String::from_utf8_lossy(&response[..head_end]).to_ascii_lowercase();
    anyhow::ensure!(head.starts_with("http/1.1 200"), "GET {path}: {head}");
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("content-encoding:"))
        .map_or("identity".to_string(), |v| v.trim().to_string());
    // The server sends a Content-Length for these small files, so the rest is the body.
    Ok((encoding, (response.len() - head_end - 4) as u64))
}

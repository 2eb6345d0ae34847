//! Size of what a page with the one tag downloads for the client: the wasm and the usage.js
//! loader (which bundles the JS glue), raw and gzipped (`gzip -9`). Uses scripts/client-size.sh
//! (its "total" line) on the existing build in target/usage-client, else measures those files.

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct Size {
    pub source: String,
    pub raw: u64,
    pub gzip: u64,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn dir() -> PathBuf {
    root().join("target/usage-client")
}

pub fn measure() -> anyhow::Result<Option<Size>> {
    if !dir().join("usage_client_bg.wasm").exists() {
        return Ok(None);
    }
    let script = root().join("scripts/client-size.sh");
    if script.exists() {
        let output = Command::new("bash")
            .arg(&script)
            .arg("--no-build")
            .stderr(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let total = text.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("total")).then(|| {
                let raw = words.next()?.parse().ok()?;
                let gzip = words.next()?.parse().ok()?;
                Some((raw, gzip))
            })?
        });
        if let (true, Some((raw, gzip))) = (output.status.success(), total) {
            return Ok(Some(Size {
                source: "scripts/client-size.sh: wasm + usage.js loader with the glue".into(),
                raw,
                gzip,
            }));
        }
    }
    let mut size = Size {
        source: "usage_client_bg.wasm + usage.js".into(),
        raw: 0,
        gzip: 0,
    };
    for name in ["usage_client_bg.wasm", "usage.js"] {
        let path = dir().join(name);
        let gzipped = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .output()?;
        anyhow::ensure!(gzipped.status.success(), "gzip {name} failed");
        size.raw += std::fs::metadata(&path)?.len();
        size.gzip += gzipped.stdout.len() as u64;
    }
    Ok(Some(size))
}

//! Size of what a page downloads for the client: the wasm and its JS (glue and loader), raw and
//! gzipped (`gzip -9`), from target/usage-client as scripts/build-client.sh leaves it.

use std::path::PathBuf;
use std::process::{Command, Stdio};

pub struct Size {
    pub files: Vec<String>,
    pub raw: u64,
    pub gzip: u64,
}

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/usage-client")
}

pub fn measure() -> anyhow::Result<Option<Size>> {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return Ok(None);
    };
    let mut size = Size {
        files: Vec::new(),
        raw: 0,
        gzip: 0,
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm" || x == "js"))
        .collect();
    paths.sort();
    for path in paths {
        let bytes = std::fs::read(&path)?;
        let gzipped = Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&path)
            .stderr(Stdio::null())
            .output()?;
        anyhow::ensure!(gzipped.status.success(), "gzip failed");
        size.raw += bytes.len() as u64;
        size.gzip += gzipped.stdout.len() as u64;
        if let Some(name) = path.file_name() {
            size.files.push(name.to_string_lossy().into_owned());
        }
    }
    Ok((!size.files.is_empty()).then_some(size))
}

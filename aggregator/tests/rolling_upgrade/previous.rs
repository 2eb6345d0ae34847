//! The previous release's binary, built once from its commit and cached outside the clone.
//!
//! The pin: [`PREVIOUS_RELEASE`] is the commit of the release before this one. It starts as the
//! first commit that tolerates newer migrations (no earlier release can take part in a rolling
//! update: it refuses a database a newer release migrated). When a release ships, bump it to that
//! release's commit (the merge commit on main that the release was built from), so that this test
//! runs the release the next one replaces. The first run after a bump builds it (`git worktree add
//! --detach` into `~/.cache/usage-tracking/previous-<commit>/src`, its own target folder, debug
//! profile); later runs reuse the binary. A clone without that commit (a shallow CI checkout)
//! fails with the advice to fetch the history.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The previous release: see the module's comment for how and when to bump it.
pub const PREVIOUS_RELEASE: &str = "1c83345470b626627c8654aec03ac7405cac0b99";

/// The folder holding the previous release's source (`src/`) and build (`target/`).
fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("usage-tracking")
        .join(format!("previous-{PREVIOUS_RELEASE}"))
}

/// This clone's root (the workspace).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub struct PreviousRelease {
    /// The built aggregator.
    pub exe: PathBuf,
    /// Its source tree (its `sql/` says which migrations it knows).
    pub src: PathBuf,
}

/// The previous release's binary: the cached one, or built now (minutes, once per pin).
pub fn binary() -> PreviousRelease {
    let dir = cache_dir();
    let src = dir.join("src");
    let target = dir.join("target");
    let exe = target.join("debug").join("usage-aggregator");
    if !src.join("Cargo.toml").exists() {
        check_out(&src);
    }
    if !exe.exists() {
        build(&src, &target);
    }
    assert!(
        exe.exists(),
        "the build of {PREVIOUS_RELEASE} left no {}",
        exe.display()
    );
    PreviousRelease { exe, src }
}

fn git(args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-C")
        .arg(repository())
        .args(args)
        .output()
        .expect("git runs (the rolling-upgrade test builds the previous release from this clone)")
}

/// `git worktree add --detach src PREVIOUS_RELEASE`, after checking the commit is there.
fn check_out(src: &Path) {
    let commit = format!("{PREVIOUS_RELEASE}^{{commit}}");
    if !git(&["cat-file", "-e", &commit]).status.success() {
        panic!(
            "the previous release's commit {PREVIOUS_RELEASE} is not in this clone (a shallow \
             clone?): run `git fetch --unshallow` (or clone without --depth), then test again"
        );
    }
    std::fs::create_dir_all(src.parent().unwrap()).unwrap();
    // A cache folder removed by hand leaves a stale registration that would refuse the path.
    git(&["worktree", "prune"]);
    let added = git(&[
        "worktree",
        "add",
        "--detach",
        src.to_str().unwrap(),
        PREVIOUS_RELEASE,
    ]);
    assert!(
        added.status.success() || src.join("Cargo.toml").exists(),
        "git worktree add of {PREVIOUS_RELEASE} into {} failed: {}",
        src.display(),
        String::from_utf8_lossy(&added.stderr)
    );
}

/// Builds the aggregator of `src` into `target` (its lockfile as it is).
fn build(src: &Path, target: &Path) {
    eprintln!(
        "building the previous release {PREVIOUS_RELEASE} once, into {}",
        target.display()
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--locked",
            "-p",
            "usage-aggregator",
            "--bin",
            "usage-aggregator",
        ])
        .current_dir(src)
        .env("CARGO_TARGET_DIR", target)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the previous release {PREVIOUS_RELEASE} failed"
    );
    keep_only_the_binary(&target.join("debug"));
}

/// The build leaves ~1.7 GB of intermediate files beside the ~220 MB binary; only the binary is
/// run, and a new pin builds afresh, so the rest goes (CI machines have little disk to spare).
fn keep_only_the_binary(debug: &Path) {
    let Ok(entries) = std::fs::read_dir(debug) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name() == Some("usage-aggregator".as_ref()) {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        if let Err(error) = removed {
            eprintln!("could not remove {}: {error}", path.display());
        }
    }
}

/// The migrations (`V9__name.sql`) a source tree ships for MySQL.
pub fn migrations_of(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("sql/mysql"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    names.sort();
    names
}

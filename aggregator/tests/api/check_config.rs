//! `usage-aggregator check-config` on the shipped files: the JSON block of the Kubernetes
//! ConfigMap (taken from docs/deploy/kubernetes.yaml itself, so the shipped file is what is
//! tested) and the example TOML. Secrets are masked; a bad file is an error naming the problem.

use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/deploy")
        .join(name)
}

fn check_config(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_usage-aggregator"))
        .args(args)
        .arg("check-config")
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// The `config.json: |` block of the ConfigMap: the lines indented deeper than its key.
fn configmap_json(manifest: &str) -> String {
    let mut lines = manifest
        .lines()
        .skip_while(|l| l.trim() != "config.json: |");
    let key = lines.next().expect("the ConfigMap has a config.json key");
    let key_indent = key.len() - key.trim_start().len();
    let block: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > key_indent)
        .collect();
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap();
    block
        .iter()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_shipped_configmap_json_is_accepted_with_secrets_masked() {
    let manifest = std::fs::read_to_string(deploy("kubernetes.yaml")).unwrap();
    let json = configmap_json(&manifest);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, &json).unwrap();
    let ca = dir.path().join("ca-certificate.crt");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let ca = ca.display().to_string();
    let legacy = path.display().to_string();
    let env = [
        ("MYSQL_HOST", "db.example.com"),
        ("MYSQL_USER", "usage"),
        ("MYSQL_PASSWORD", "s3cret-password-never-shown"),
        ("MYSQL_DATABASE", "mbasic_logs"),
        ("MYSQL_SSL_CA", ca.as_str()),
        ("USAGE_ADMIN_TOKEN", "an-admin-token-never-shown-0123"),
    ];
    let (code, out) = check_config(&["--legacy-config", &legacy], &env);
    assert_eq!(code, 0, "{out}\n{json}");
    assert!(out.contains("configuration OK"), "{out}");
    assert!(
        out.contains("mysql://usage:***@db.example.com:25060/mbasic_logs?require_ssl=true"),
        "{out}"
    );
    assert!(out.contains(&ca), "the CA file is shown: {out}");
    assert!(!out.contains("s3cret-password"), "{out}");
    assert!(!out.contains("an-admin-token-never-shown"), "{out}");

    // Without the Secret's variables, the error names the one missing.
    let (code, out) = check_config(&["--legacy-config", &legacy], &env[1..]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("MYSQL_HOST"), "{out}");
    // A CA file that is not there.
    let mut no_ca = env;
    no_ca[4] = ("MYSQL_SSL_CA", "/nonexistent/ca.crt");
    let (code, out) = check_config(&["--legacy-config", &legacy], &no_ca);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("ssl_ca") && out.contains("/nonexistent/ca.crt"),
        "{out}"
    );
}

#[test]
fn the_example_toml_is_accepted_and_a_bad_one_is_not() {
    let toml = deploy("usage.toml").display().to_string();
    let (code, out) = check_config(&["--config", &toml], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("database_wait_secs: 120"), "{out}");
    assert!(out.contains("configuration OK"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "listen = \"127.0.0.1:8080\"\nno_such_key = 1\n").unwrap();
    let (code, out) = check_config(&["--config", bad.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no_such_key"), "{out}");

    // Every problem of the merged configuration, not only the first.
    let (code, out) = check_config(
        &["--config", &toml],
        &[
            ("USAGE_ROLLUP_WINDOW_DAYS", "0"),
            ("USAGE_SITES", "ide,Not A Site"),
            ("USAGE_ADMIN_TOKEN", "short"),
        ],
    );
    assert_eq!(code, 2, "{out}");
    for problem in ["rollup_window_days", "Not A Site", "admin_token"] {
        assert!(out.contains(problem), "{problem} in {out}");
    }
}

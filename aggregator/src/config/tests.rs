use super::*;
use std::collections::HashMap;
use std::io::Write;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn defaults_are_private_and_sane() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!(config.ip_mode, IpMode::Hash);
    assert!(config.honor_privacy_signals);
    assert!(config.filter_automation);
    assert_eq!(config.idle_timeout_secs, 1800);
    // No URL: the embedded store, so that a first run needs no database server.
    assert_eq!(config.database_url(), None);
}

#[test]
fn environment_overrides_the_toml_file() {
    let toml = file(
        "ip_mode = \"truncate\"\nlisten = \"0.0.0.0:9000\"\ndatabase_url = \"mysql://a@b/c\"\n",
    );
    let env = env_of(&[
        ("USAGE_IP_MODE", "drop"),
        (
            "USAGE_ALLOWED_ORIGINS",
            "https://ide.example, http://localhost:8000",
        ),
        ("USAGE_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1"),
        ("USAGE_FILTER_AUTOMATION", "false"),
    ]);
    let config = Config::load(Some(toml.path()), None, &env).unwrap();
    assert!(!config.filter_automation);
    assert_eq!(config.ip_mode, IpMode::Drop);
    assert_eq!(config.listen.port(), 9000);
    assert_eq!(config.database_url(), Some("mysql://a@b/c"));
    assert_eq!(
        config.allowed_origins,
        vec!["https://ide.example", "http://localhost:8000"]
    );
    assert_eq!(config.trusted_proxies.len(), 2);
}

#[test]
fn bad_values_are_named() {
    let err = Config::load(None, None, &env_of(&[("USAGE_IP_MODE", "raw")])).unwrap_err();
    assert!(
        err.contains("USAGE_IP_MODE") && err.contains("hash, truncate or drop"),
        "{err}"
    );
    let err = Config::load(
        None,
        None,
        &env_of(&[("USAGE_ALLOWED_ORIGINS", "https://ide.example/path")]),
    )
    .unwrap_err();
    assert!(err.contains("https://ide.example"), "{err}");
    let err = Config::load(Some(file("no_such_key = 1").path()), None, &env_of(&[])).unwrap_err();
    assert!(err.contains("no_such_key"), "{err}");
}

#[test]
fn reads_the_deployment_json_with_substitution() {
    let json = file(
        r#"{"usage_tracking": {"enabled": true, "mysql": {"host": "${MYSQL_HOST}", "port": 25060,
        "user": "${MYSQL_USER}", "password": "${MYSQL_PASSWORD}", "database": "mbasic_logs"}}}"#,
    );
    let env = env_of(&[
        ("MYSQL_HOST", "db.example"),
        ("MYSQL_USER", "doadmin"),
        ("MYSQL_PASSWORD", "p@ss:w/rd"),
    ]);
    let config = Config::load(None, Some(json.path()), &env).unwrap();
    assert_eq!(
        config.database_url(),
        Some("mysql://doadmin:p%40ss%3Aw%2Frd@db.example:25060/mbasic_logs")
    );
    assert!(config.enabled);
    let opts = mysql_async::Opts::from_url(config.database_url().unwrap()).unwrap();
    assert_eq!(opts.pass(), Some("p@ss:w/rd"));
}

#[test]
fn the_deployment_json_names_a_missing_variable_and_can_disable() {
    let json = file(
        r#"{"usage_tracking": {"enabled": false, "mysql": {"host": "${MYSQL_HOST}", "user": "u", "database": "d"}}}"#,
    );
    let err = Config::load(None, Some(json.path()), &env_of(&[])).unwrap_err();
    assert!(err.contains("MYSQL_HOST"), "{err}");
    let config = Config::load(None, Some(json.path()), &env_of(&[("MYSQL_HOST", "h")])).unwrap();
    assert!(!config.enabled);
    assert_eq!(config.database_url(), Some("mysql://u@h:3306/d"));
}

#[test]
fn debug_output_hides_the_password() {
    let env = env_of(&[("USAGE_DATABASE_URL", "mysql://u:s3cret@h:3306/d")]);
    let shown = format!("{:?}", Config::load(None, None, &env).unwrap());
    assert!(
        !shown.contains("s3cret") && shown.contains("***"),
        "{shown}"
    );
}

#[test]
fn report_settings_have_defaults_and_are_checked() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!((config.retention_days, config.rollup_window_days), (395, 3));
    assert_eq!(
        config.admin_token, None,
        "the stats API is closed by default"
    );
    let env = env_of(&[
        ("USAGE_RETENTION_DAYS", "30"),
        ("USAGE_ROLLUP_WINDOW_DAYS", "2"),
        ("USAGE_ROLLUP_INTERVAL_SECS", "60"),
        ("USAGE_SUMMARY_REFRESH_SECS", "5"),
        ("USAGE_ADMIN_TOKEN", "0123456789abcdef0123"),
    ]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(
        (
            config.retention_days,
            config.rollup_window_days,
            config.rollup_interval_secs,
            config.summary_refresh_secs
        ),
        (30, 2, 60, 5)
    );
    assert_eq!(
        config.admin_token.as_ref().map(Secret::expose),
        Some("0123456789abcdef0123")
    );
    let short = Config::load(None, None, &env_of(&[("USAGE_ADMIN_TOKEN", "secret")])).unwrap_err();
    assert!(short.contains("USAGE_ADMIN_TOKEN"), "{short}");
    let window = Config::load(None, None, &env_of(&[("USAGE_RETENTION_DAYS", "3")])).unwrap_err();
    assert!(window.contains("rollup_window_days"), "{window}");
    let shown = format!("{:?}", Config::load(None, None, &env).unwrap());
    assert!(!shown.contains("0123456789abcdef"), "{shown}");
}

#[test]
fn the_funnel_is_configured_as_a_list_and_bounded_at_load() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!(config.funnel, ["opened", "run", "success", "feature"]);
    let env = env_of(&[("USAGE_FUNNEL", "opened, run, feature:debugger")]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(config.funnel().steps().len(), 3);
    let toml = file("funnel = [\"run\", \"feature:save\"]\n");
    let config = Config::load(Some(toml.path()), None, &env_of(&[])).unwrap();
    assert_eq!(config.funnel().steps()[1].to_string(), "feature:save");
    let nine = ["feature"; 9].join(",");
    let error = Config::load(None, None, &env_of(&[("USAGE_FUNNEL", &nine)])).unwrap_err();
    assert!(
        error.contains("give 1 to 8") && error.contains("USAGE_FUNNEL"),
        "{error}"
    );
    let error = Config::load(None, None, &env_of(&[("USAGE_FUNNEL", "run,jump")])).unwrap_err();
    assert!(error.contains("\"jump\" is no step"), "{error}");
}

#[test]
fn every_environment_variable_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut docs = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        docs.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default());
    }
    for name in ENV_VARS.iter().chain(limits::ENV_VARS) {
        assert!(docs.contains(name), "{name} is not in README.md or docs/");
    }
}

#[test]
fn the_deployment_json_carries_its_ca_and_socket() {
    let ca = file("-----BEGIN CERTIFICATE-----\n");
    let json = file(&format!(
        r#"{{"usage_tracking": {{"mysql": {{"host": "h", "user": "u", "database": "d",
        "ssl": true, "ssl_ca": "{}", "unix_socket": "/run/my sql/sock"}}}}}}"#,
        ca.path().display()
    ));
    let config = Config::load(None, Some(json.path()), &env_of(&[])).unwrap();
    assert_eq!(config.ssl_ca.as_deref(), Some(ca.path()));
    let url = config.database_url().unwrap();
    let opts = mysql_async::Opts::from_url(url).unwrap();
    assert_eq!(opts.socket(), Some("/run/my sql/sock"), "{url}");
    assert!(opts.ssl_opts().is_some(), "{url}");
    // The environment has the last word; a missing CA file is named before anything starts.
    let env = env_of(&[("USAGE_SSL_CA", "/nonexistent/ca.pem")]);
    let err = Config::load(None, Some(json.path()), &env).unwrap_err();
    assert!(err.contains("/nonexistent/ca.pem"), "{err}");
}

#[test]
fn the_database_wait_is_a_knob_and_the_token_is_masked() {
    let env = env_of(&[
        ("USAGE_DATABASE_WAIT_SECS", "7"),
        ("USAGE_ADMIN_TOKEN", "a-token-that-is-long-enough-42"),
    ]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(config.database_wait_secs, 7);
    assert_eq!(Config::default().database_wait_secs, 60);
    let shown = format!("{config:#?}");
    assert!(!shown.contains("long-enough-42"), "{shown}");
    assert!(shown.contains("database_wait_secs: 7"), "{shown}");
}

#[test]
fn metrics_are_on_unless_turned_off() {
    assert!(Config::load(None, None, &env_of(&[])).unwrap().metrics);
    let toml = file("metrics = false\n");
    let off = Config::load(Some(toml.path()), None, &env_of(&[])).unwrap();
    assert!(!off.metrics);
    let on = env_of(&[("USAGE_METRICS", "true")]);
    assert!(Config::load(Some(toml.path()), None, &on).unwrap().metrics);
    let bad = Config::load(None, None, &env_of(&[("USAGE_METRICS", "no")])).unwrap_err();
    assert!(bad.contains("USAGE_METRICS"), "{bad}");
}

#[test]
fn the_heartbeat_journal_is_off_unless_turned_on() {
    assert!(
        !Config::load(None, None, &env_of(&[]))
            .unwrap()
            .heartbeat_journal
    );
    let toml = file("heartbeat_journal = true\n");
    assert!(
        Config::load(Some(toml.path()), None, &env_of(&[]))
            .unwrap()
            .heartbeat_journal
    );
    let on = env_of(&[("USAGE_HEARTBEAT_JOURNAL", "true")]);
    assert!(Config::load(None, None, &on).unwrap().heartbeat_journal);
}

#[test]
fn the_journal_folds_every_second_unless_told_otherwise() {
    let default = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!(default.heartbeat_journal_fold_secs, 1);
    let toml = file("heartbeat_journal_fold_secs = 15\n");
    let from_file = Config::load(Some(toml.path()), None, &env_of(&[])).unwrap();
    assert_eq!(from_file.heartbeat_journal_fold_secs, 15);
    let env = env_of(&[("USAGE_HEARTBEAT_JOURNAL_FOLD_SECS", "5")]);
    let from_env = Config::load(Some(toml.path()), None, &env).unwrap();
    assert_eq!(
        from_env.heartbeat_journal_fold_secs, 5,
        "the environment wins"
    );
    let zero = env_of(&[("USAGE_HEARTBEAT_JOURNAL_FOLD_SECS", "0")]);
    let refused = Config::load(None, None, &zero).unwrap_err();
    assert!(refused.contains("heartbeat_journal_fold_secs"), "{refused}");
    let day = env_of(&[("USAGE_HEARTBEAT_JOURNAL_FOLD_SECS", "86400")]);
    let refused = Config::load(None, None, &day).unwrap_err();
    assert!(refused.contains("at most 3600"), "{refused}");
}

#[test]
fn summary_texts_are_kept_under_25_months_by_default_and_the_knob_is_checked() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    // 25 months are at least 758 days (two years and a February).
    assert!(config.summary_text_retention_days <= 758);
    assert!(config.retention_days <= config.summary_text_retention_days);
    let env = env_of(&[("USAGE_SUMMARY_TEXT_RETENTION_DAYS", "400")]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(config.summary_text_retention_days, 400);
    let env = env_of(&[("USAGE_SUMMARY_TEXT_RETENTION_DAYS", "3")]);
    let refused = Config::load(None, None, &env).unwrap_err();
    assert!(
        refused.contains("summary_text_retention_days") && refused.contains("rollup_window_days"),
        "{refused}"
    );
}

#[test]
fn placeholder_tokens_are_refused_with_advice() {
    for placeholder in [
        "change-me-to-openssl-rand-hex-24-output",
        "CHANGE-ME-0123456789abcdef",
        "changeme-0123456789abcdef",
        " local-demo-token-not-secret ",
    ] {
        let env = env_of(&[("USAGE_ADMIN_TOKEN", placeholder)]);
        let refused = Config::load(None, None, &env).unwrap_err();
        assert!(refused.contains("placeholder"), "{placeholder}: {refused}");
        assert!(refused.contains("openssl rand -hex 24"), "{refused}");
    }
    let env = env_of(&[("USAGE_ADMIN_TOKEN", "9f86d081884c7d659a2feaa0c55ad015")]);
    assert!(Config::load(None, None, &env).is_ok());
}

#[test]
fn metrics_can_have_their_own_listener() {
    assert_eq!(Config::default().metrics_listen, None);
    let env = env_of(&[("USAGE_METRICS_LISTEN", "0.0.0.0:9090")]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(config.metrics_listen, Some("0.0.0.0:9090".parse().unwrap()));
    let toml = file("listen = \"127.0.0.1:8080\"\nmetrics_listen = \"127.0.0.1:8080\"\n");
    let same = Config::load(Some(toml.path()), None, &env_of(&[])).unwrap_err();
    assert!(same.contains("metrics_listen"), "{same}");
}

#[test]
fn the_mcp_token_is_off_by_default_checked_and_masked() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!(
        config.mcp_token, None,
        "the MCP server is closed by default"
    );
    let env = env_of(&[("USAGE_MCP_TOKEN", "mcp-0123456789abcdef")]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(
        config.mcp_token.as_ref().map(Secret::expose),
        Some("mcp-0123456789abcdef")
    );
    assert!(!format!("{config:?}").contains("0123456789abcdef"));
    let short = Config::load(None, None, &env_of(&[("USAGE_MCP_TOKEN", "short")])).unwrap_err();
    assert!(short.contains("mcp_token (USAGE_MCP_TOKEN)"), "{short}");
}

#[test]
fn the_report_time_zone_is_utc_unless_named() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert_eq!(
        config.report_timezone.name(),
        "UTC",
        "existing deployments see no change"
    );
    let env = env_of(&[("USAGE_REPORT_TIMEZONE", "America/Los_Angeles")]);
    let config = Config::load(None, None, &env).unwrap();
    assert_eq!(config.report_timezone.name(), "America/Los_Angeles");
    let refused = Config::load(
        None,
        None,
        &env_of(&[("USAGE_REPORT_TIMEZONE", "PST8PDT9")]),
    )
    .unwrap_err();
    assert!(refused.contains("USAGE_REPORT_TIMEZONE"), "{refused}");
    let from_toml: Config = toml::from_str("report_timezone = \"Europe/Berlin\"").unwrap();
    assert_eq!(from_toml.report_timezone.name(), "Europe/Berlin");
    assert!(toml::from_str::<Config>("report_timezone = \"Europe/Nowhere\"").is_err());
}

#[test]
fn site_time_zones_are_none_unless_named() {
    let config = Config::load(None, None, &env_of(&[])).unwrap();
    assert!(
        config.site_timezones.is_empty(),
        "existing deployments see no change"
    );
    let env = env_of(&[(
        "USAGE_SITE_TIMEZONES",
        "ide=America/Los_Angeles,docs=Europe/Berlin",
    )]);
    let zones = Config::load(None, None, &env).unwrap().zones();
    assert_eq!(zones.of(Some("ide")).name(), "America/Los_Angeles");
    assert_eq!(zones.of(Some("docs")).name(), "Europe/Berlin");
    assert_eq!(zones.of(Some("blog")).name(), "UTC");
    let refused = Config::load(
        None,
        None,
        &env_of(&[("USAGE_SITE_TIMEZONES", "ide=PST8PDT9")]),
    )
    .unwrap_err();
    assert!(
        refused.contains("USAGE_SITE_TIMEZONES") && refused.contains("\"ide\" = \"PST8PDT9\""),
        "{refused}"
    );
    let from_toml: Config = toml::from_str(
        "report_timezone = \"Europe/Berlin\"\n[site_timezones]\nide = \"America/Los_Angeles\"\n\"lab.x\" = \"Asia/Tokyo\"\n",
    )
    .unwrap();
    let zones = from_toml.zones();
    assert_eq!(zones.of(Some("lab.x")).name(), "Asia/Tokyo");
    assert_eq!(zones.of(None).name(), "Europe/Berlin", "all sites");
    let refused = toml::from_str::<Config>("[site_timezones]\nIDE = \"UTC\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("\"IDE\"") && refused.contains("site id"),
        "{refused}"
    );
    let many: String = (0..101).map(|i| format!("s{i} = \"UTC\"\n")).collect();
    let refused = toml::from_str::<Config>(&format!("[site_timezones]\n{many}"))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("at most 100"), "{refused}");
}

//! Rate limits: a flooding client or site gets 429 with Retry-After and stores nothing, other
//! clients and sites go on; the defaults never bother a busy NAT; the limits can be switched
//! off; the stats API limits each client, logs refused tokens without them, and takes the
//! `Bearer` scheme in any case.

use usage_aggregator::config::Config;

use crate::helpers::{both_stores, BinaryApp, SessionScript, StoreKind, TestApp, TestDb};

/// Clients told apart by `X-Forwarded-For` from the (trusted) loopback proxy.
fn behind_proxy(config: &mut Config) {
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
}

/// Posts a fresh one-run batch of `site` as `client`; returns the status and `Retry-After`.
async fn post_as(app: &TestApp, client: &str, site: &str) -> (u16, Option<String>) {
    let mut script = SessionScript::new();
    script.site = site.into();
    let events = vec![script.start(0.0), script.run(1.0, 2, None)];
    let response = app
        .post_with(&script.batch(2.0, events), &[("x-forwarded-for", client)])
        .await;
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), retry)
}

both_stores!(a_flooding_client_gets_429_and_others_go_on);
async fn a_flooding_client_gets_429_and_others_go_on(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        behind_proxy(c);
        c.limits.ingest_per_client_per_minute = 1;
        c.limits.ingest_client_burst = 5;
    })
    .await;
    for _ in 0..5 {
        assert_eq!(post_as(&app, "198.51.100.1", "ide").await.0, 200);
    }
    let (status, retry) = post_as(&app, "198.51.100.1", "ide").await;
    assert_eq!(status, 429);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        app.db.count("ide_sessions").await,
        5,
        "a 429 stores nothing"
    );
    assert_eq!(post_as(&app, "198.51.100.2", "ide").await.0, 200);
}

both_stores!(a_flooded_site_gets_429_and_other_sites_go_on);
async fn a_flooded_site_gets_429_and_other_sites_go_on(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        behind_proxy(c);
        c.limits.ingest_per_site_per_minute = 1;
        c.limits.ingest_site_burst = 3;
    })
    .await;
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(post_as(&app, client, "ide").await.0, 200);
    }
    assert_eq!(post_as(&app, "203.0.113.4", "ide").await.0, 429);
    assert_eq!(post_as(&app, "203.0.113.4", "docs").await.0, 200);
}

both_stores!(rate_limits_switched_off_limit_nothing);
async fn rate_limits_switched_off_limit_nothing(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.limits.rate_limits = false;
        c.limits.ingest_per_client_per_minute = 1;
        c.limits.ingest_client_burst = 1;
    })
    .await;
    for _ in 0..10 {
        assert_eq!(post_as(&app, "198.51.100.1", "ide").await.0, 200);
    }
}

both_stores!(the_defaults_never_bother_a_school_behind_one_address);
async fn the_defaults_never_bother_a_school_behind_one_address(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, behind_proxy).await;
    // 400 tabs reopened at once behind one NAT address, each sending its first two batches (over
    // 64 connections at a time: the connection cap is not what this test is about).
    use futures::StreamExt;
    let app = &app;
    let statuses: Vec<u16> = futures::stream::iter(0..800)
        .map(|_| async move { post_as(app, "192.0.2.10", "ide").await.0 })
        .buffer_unordered(64)
        .collect()
        .await;
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
}

const TOKEN: &str = "rate-limit-test-token-0123456789";

both_stores!(the_stats_api_limits_each_client_and_logs_refusals_without_the_token);
async fn the_stats_api_limits_each_client_and_logs_refusals_without_the_token(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_ADMIN_TOKEN", TOKEN),
        ("USAGE_STATS_PER_CLIENT_PER_MINUTE", "1"),
    ]);
    let http = reqwest::Client::new();
    let get = |authorization: String| {
        http.get(format!("{}/api/v1/stats/daily", app.address))
            .header("authorization", authorization)
            .send()
    };
    let upper = get(format!("BEARER {TOKEN}")).await.unwrap();
    assert_eq!(upper.status(), 200, "the scheme is case-insensitive");
    let wrong = "guessed-token-abcdefghijklmnop";
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(
            get(format!("Bearer {wrong}"))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[0], 401);
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    assert!(statuses.iter().all(|s| [401, 429].contains(s)));
    let (_, log) = app.stop();
    assert!(log.contains("stats API: request refused"), "{log}");
    assert!(log.contains("wrong token"), "{log}");
    assert!(!log.contains(wrong), "the token is never logged");
    assert!(
        log.contains("ClientKey("),
        "the client is named by its keyed hash: {log}"
    );
}

both_stores!(wrong_tokens_never_lock_out_the_right_one);
async fn wrong_tokens_never_lock_out_the_right_one(kind: StoreKind) {
    let db = TestDb::create(kind).await;
    let url = db.url();
    let app = BinaryApp::spawn(&[
        ("USAGE_DATABASE_URL", &url),
        ("USAGE_ADMIN_TOKEN", TOKEN),
        ("USAGE_STATS_PER_CLIENT_PER_MINUTE", "1"),
    ]);
    let http = reqwest::Client::new();
    let get = |token: &str| {
        http.get(format!("{}/api/v1/stats/daily", app.address))
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    // Someone at the admin's address (a shared NAT, a script gone wrong) guesses until refused.
    let mut guesses = 0;
    loop {
        let status = get("guessed-token-abcdefghijklmnop")
            .await
            .unwrap()
            .status();
        guesses += 1;
        if status == 429 {
            break;
        }
        assert_eq!(status, 401);
        assert!(guesses < 100, "wrong tokens are limited");
    }
    for _ in 0..3 {
        let right = get(TOKEN).await.unwrap();
        assert_eq!(
            right.status(),
            200,
            "the right token after {guesses} wrong ones"
        );
    }
    assert_eq!(
        get("guessed-token-abcdefghijklmnop")
            .await
            .unwrap()
            .status(),
        429,
        "the right token did not lift the guesser's limit"
    );
    app.stop();
}

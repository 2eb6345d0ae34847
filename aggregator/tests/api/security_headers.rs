//! Security headers on every page and static file (the dashboard holds a bearer token), and the
//! own-origin check that compares the scheme as well as host and port.

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

fn repository(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

both_stores!(pages_and_static_files_carry_the_security_headers);
async fn pages_and_static_files_carry_the_security_headers(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.static_dir = repository("www");
        c.client_dir = repository("wasm-client/dist");
    })
    .await;
    for path in [
        "/",
        "/dashboard.html",
        "/dashboard.js",
        "/usage/usage.js",
        "/missing.html",
        "/api/v1/stats/daily",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let value = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_else(|| panic!("{path} has no {name}"))
        };
        let csp = value("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        // The pages may send to their own origin only: no third party (docs/privacy.md, 4).
        assert!(csp.contains("connect-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(value("x-frame-options"), "DENY", "{path}");
        assert_eq!(value("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(value("referrer-policy"), "no-referrer", "{path}");
    }
}

both_stores!(the_own_origin_is_the_same_scheme_host_and_port);
async fn the_own_origin_is_the_same_scheme_host_and_port(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let authority = app.address.trim_start_matches("http://").to_string();
    let post = |origin: String, proto: Option<&'static str>| {
        let app = &app;
        async move {
            let mut script = SessionScript::new();
            let start = script.start(0.0);
            let batch = script.batch(1.0, vec![start]);
            let mut headers = vec![("origin", origin.as_str())];
            if let Some(proto) = proto {
                headers.push(("x-forwarded-proto", proto));
            }
            app.post_with(&batch, &headers).await.status().as_u16()
        }
    };
    assert_eq!(post(format!("http://{authority}"), None).await, 200);
    assert_eq!(
        post(format!("https://{authority}"), None).await,
        403,
        "another scheme is another origin"
    );
    // Behind a trusted TLS proxy the own origin is https.
    assert_eq!(
        post(format!("https://{authority}"), Some("https")).await,
        200
    );
    assert_eq!(
        post(format!("http://{authority}"), Some("https")).await,
        403
    );
}

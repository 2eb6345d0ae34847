//! The client at `/usage/`: precompressed by Accept-Encoding, `Vary`, a strong ETag per
//! representation and a bodiless 304 on revalidation. Served from the checked-in build.

use std::path::PathBuf;

use crate::helpers::{both_stores, StoreKind, TestApp};

fn dist() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../wasm-client/dist")
}

async fn app(kind: StoreKind) -> TestApp {
    TestApp::spawn_with(kind, |c| c.client_dir = dist()).await
}

async fn get(app: &TestApp, file: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.http.get(format!("{}/usage/{file}", app.address));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the aggregator answers")
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

both_stores!(serves_the_client_precompressed_with_validators);
async fn serves_the_client_precompressed_with_validators(kind: StoreKind) {
    let app = app(kind).await;
    let mut etags = Vec::new();
    for (file, kind) in [
        ("usage.js", "text/javascript; charset=utf-8"),
        ("usage_client_bg.wasm", "application/wasm"),
    ] {
        for (accept, coding, suffix) in [
            ("br, gzip", "br", ".br"),
            ("gzip, deflate", "gzip", ".gz"),
            ("br;q=0, gzip", "gzip", ".gz"),
            ("identity", "", ""),
        ] {
            let r = get(&app, file, &[("accept-encoding", accept)]).await;
            assert_eq!(r.status(), 200, "{file} {accept}");
            assert_eq!(header(&r, "content-encoding"), coding, "{file} {accept}");
            assert_eq!(header(&r, "content-type"), kind);
            assert_eq!(header(&r, "vary").to_ascii_lowercase(), "accept-encoding");
            assert_eq!(header(&r, "cache-control"), "no-cache");
            let etag = header(&r, "etag");
            assert!(
                etag.starts_with('"') && etag.len() > 10,
                "a strong ETag: {etag}"
            );
            let expected = std::fs::read(dist().join(format!("{file}{suffix}"))).unwrap();
            assert_eq!(
                r.bytes().await.unwrap().to_vec(),
                expected,
                "{file}{suffix}"
            );
            if !etags.contains(&etag) {
                etags.push(etag.clone());
            }
            // Revalidation: unchanged bytes answer 304 without a body, with the same headers.
            let again = get(
                &app,
                file,
                &[("accept-encoding", accept), ("if-none-match", &etag)],
            )
            .await;
            assert_eq!(again.status(), 304, "{file} {accept}");
            assert_eq!(header(&again, "etag"), etag);
            assert_eq!(
                header(&again, "vary").to_ascii_lowercase(),
                "accept-encoding"
            );
            assert!(again.bytes().await.unwrap().is_empty());
        }
    }
    assert_eq!(etags.len(), 6, "one ETag per file and encoding");
    // Another encoding's ETag does not validate this one.
    let r = get(
        &app,
        "usage.js",
        &[("accept-encoding", "gzip"), ("if-none-match", &etags[0])],
    )
    .await;
    assert_eq!(r.status(), 200);
    for bad in [
        "../Cargo.toml",
        ".gitignore",
        "nope.js",
        "usage.d.ts.map",
        "x.html",
    ] {
        assert_eq!(get(&app, bad, &[]).await.status(), 404, "{bad}");
    }
}

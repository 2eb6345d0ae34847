//! `/api/v1/stats/features/{name}`: the most frequent values of each key of a feature's data.

use serde_json::{json, Value};

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};
use crate::reports::{at, TOKEN};

/// One session on `site` at `hour` on the 27th using `share` once per data object.
async fn session(app: &TestApp, site: &str, hour: u32, data: &[Value]) {
    let mut script = SessionScript::new();
    script.site = site.into();
    let mut events = vec![script.start(0.0)];
    for (i, d) in data.iter().enumerate() {
        let mut feature = script.feature(1.0 + i as f64, "share");
        feature["data"] = d.clone();
        events.push(feature);
    }
    app.clock.set(at(27, hour, 0));
    app.store(&script.batch(30.0, events)).await;
}

both_stores!(feature_data_counts_values_per_key);
async fn feature_data_counts_values_per_key(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    let link = json!({"target": "link", "lines": 10});
    let file = json!({"target": "file"});
    session(&app, "ide", 10, &[link.clone(), link.clone(), file]).await;
    session(&app, "docs", 11, std::slice::from_ref(&link)).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;

    let all = app
        .stats("features/share?from=2026-11-27&to=2026-11-27")
        .await;
    assert_eq!(
        (all["feature"].as_str(), all["events"].as_u64()),
        (Some("share"), Some(4))
    );
    assert_eq!(all["truncated"], false);
    // target: link 3 times, file once; lines only on the three link events.
    assert_eq!(
        all["keys"],
        json!([
            {"key": "target", "events": 4, "other_values": 0,
             "values": [{"value": "link", "events": 3}, {"value": "file", "events": 1}]},
            {"key": "lines", "events": 3, "other_values": 0,
             "values": [{"value": "10", "events": 3}]},
        ])
    );
    let docs = app
        .stats("features/share?from=2026-11-27&to=2026-11-27&site=docs")
        .await;
    assert_eq!(docs["events"], 1);
    let unused = app
        .stats("features/debugger?from=2026-11-27&to=2026-11-27")
        .await;
    assert_eq!(
        (
            unused["events"].as_u64(),
            unused["keys"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    let csv = app
        .stats_csv("features/share?from=2026-11-27&to=2026-11-27")
        .await;
    assert_eq!(
        csv,
        "events,key,value\r\n3,target,link\r\n1,target,file\r\n3,lines,10\r\n"
    );
    let bad = app
        .http
        .get(format!(
            "{}/api/v1/stats/features/Not%20A%20Name",
            app.address
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

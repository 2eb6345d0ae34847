//! `?format=csv` on the stats routes: the same figures as the JSON, as a download.

use crate::helpers::{both_stores, StoreKind, TestApp};
use crate::reports::{at, seed_two_days, TOKEN};

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/api/v1/stats/{path}", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
}

both_stores!(every_route_answers_csv_with_the_json_figures);
async fn every_route_answers_csv_with_the_json_figures(kind: StoreKind) {
    let app = TestApp::reporting(kind).await;
    seed_two_days(&app).await;
    app.clock.set(at(28, 12, 0));
    app.refresh_summaries().await;
    let response = get(&app, "daily?from=2026-11-27&to=2026-11-28&format=csv").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"usage-daily-2026-11-27-2026-11-28.csv\""
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let text = response.text().await.unwrap();
    assert_eq!(
        text,
        "avg_active_seconds,avg_duration_seconds,date,feature_uses,lines_executed,program_errors,programs_run,sessions,success_rate,unique_visitors\r\n\
         333,900,2026-11-27,3,1160,1,4,3,0.75,2\r\n\
         60,120,2026-11-28,0,0,0,0,1,,1\r\n"
    );
    let features = get(&app, "features?from=2026-11-27&to=2026-11-28&format=csv").await;
    assert_eq!(
        features.text().await.unwrap(),
        "name,sessions,uses\r\ndebugger,2,2\r\nshare,1,1\r\n"
    );
    for route in ["sessions", "programs", "clients", "live", "errors"] {
        let response = get(&app, &format!("{route}?format=csv")).await;
        assert_eq!(response.status(), 200, "{route}");
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            disposition.contains(&format!("usage-{route}")),
            "{disposition}"
        );
        assert!(response.text().await.unwrap().ends_with("\r\n"), "{route}");
    }
    assert_eq!(get(&app, "daily?format=xml").await.status(), 422);
    let refused = app
        .http
        .get(format!("{}/api/v1/stats/daily?format=csv", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "the token first, CSV or not");
}

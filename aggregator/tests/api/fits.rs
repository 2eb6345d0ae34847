//! Every stored value fits its column by construction: a header of any length is cut to the
//! narrowest width the schema may have (the deployment's `user_agent VARCHAR(512)`), on both
//! stores alike, and no request is refused for it.

use crate::helpers::{both_stores, SessionScript, StoreKind, TestApp};

/// The deployment's width of `ide_sessions.user_agent` (V1 has TEXT): on MariaDB the test runs on
/// that width, where a value one character longer is refused (strict mode, ERROR 1406).
async fn deployment_width(app: &TestApp) {
    if app.db.kind() == StoreKind::MySql {
        app.db
            .execute("ALTER TABLE ide_sessions MODIFY user_agent VARCHAR(512) NULL")
            .await;
    }
}

async fn post_as(app: &TestApp, user_agent: &str) -> (String, u16) {
    let mut script = SessionScript::new();
    let events = vec![script.start(0.0), script.run(1.0, 3, None)];
    let response = app
        .http
        .post(format!("{}/api/v1/events", app.address))
        .header("content-type", "text/plain")
        .header("user-agent", user_agent)
        .body(script.batch(2.0, events).to_string())
        .send()
        .await
        .unwrap();
    (script.id, response.status().as_u16())
}

async fn stored_agent(app: &TestApp, session: &str) -> (String, String, String) {
    let sql =
        format!("SELECT user_agent, browser, os FROM ide_sessions WHERE session_id = '{session}'");
    let mut row = app
        .db
        .rows(&sql)
        .await
        .pop()
        .expect("the session is stored");
    (
        row.take(0).unwrap(),
        row.take(1).unwrap(),
        row.take(2).unwrap(),
    )
}

both_stores!(a_huge_full_user_agent_is_stored_cut_to_the_column);
async fn a_huge_full_user_agent_is_stored_cut_to_the_column(kind: StoreKind) {
    let app = TestApp::spawn_with(kind, |c| c.store_full_user_agent = true).await;
    deployment_width(&app).await;
    let huge = format!("Mozilla/5.0 (X11; Linux x86_64) {}", "z".repeat(20_000));
    let (session, status) = post_as(&app, &huge).await;
    assert_eq!(status, 200);
    let (user_agent, _, _) = stored_agent(&app, &session).await;
    assert_eq!(
        user_agent,
        huge[..512],
        "cut to the deployment's VARCHAR(512)"
    );
}

both_stores!(a_forged_version_is_reduced_to_a_summary_that_fits);
async fn a_forged_version_is_reduced_to_a_summary_that_fits(kind: StoreKind) {
    let app = TestApp::spawn(kind).await;
    deployment_width(&app).await;
    let forged = format!(
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/{}",
        "7".repeat(3000)
    );
    let (session, status) = post_as(&app, &forged).await;
    assert_eq!(status, 200);
    let stored = stored_agent(&app, &session).await;
    assert_eq!(
        stored,
        (
            "Firefox 77777777 / Linux / desktop".to_string(),
            "Firefox".to_string(),
            "Linux".to_string()
        )
    );
}

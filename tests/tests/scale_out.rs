//! The demo IDE page in real headless Chromium, through Debian's nginx balancing two aggregator
//! replicas on one MariaDB database: the page keeps working when a replica goes down, and what
//! it did is stored once. (aggregator/tests/scale_out/ has the rest of the scale-out tests.)

use std::time::Duration;

use usage_e2e::browser::Browser;
use usage_e2e::ide::{click, demo_site, open_ide, type_program, wait_for};
use usage_e2e::stack::{repo_root, Aggregator, StoreKind, TestDb};

#[tokio::test]
async fn the_page_keeps_working_through_nginx_when_a_replica_goes_down() {
    let db = TestDb::create(StoreKind::MySql).await;
    let site = demo_site("");
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let static_dir = site.path().to_path_buf();
        let replica = Aggregator::start(&db, move |c| {
            c.static_dir = static_dir;
            // The checked-in client build: this test needs no wasm tools.
            c.client_dir = repo_root().join("wasm-client/dist");
            c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        })
        .await;
        replicas.push(replica);
    }
    let upstreams: Vec<String> = replicas
        .iter()
        .map(|r| format!("127.0.0.1:{}", r.port))
        .collect();
    let nginx = usage_test_support::Nginx::start(&upstreams);
    let browser = Browser::launch().await;
    let session = open_ide(&browser, &nginx.address()).await;
    let runs = format!("program_executions WHERE session_id = '{session}'");

    type_program(&browser, "10 PRINT \"HI\"\n20 END").await;
    click(&browser, "run").await;
    wait_for("the first run", Duration::from_secs(20), || async {
        db.count(&runs).await == 1
    })
    .await;

    replicas[0].stop().await;
    for _ in 0..2 {
        click(&browser, "run").await;
    }
    wait_for(
        "the runs after a replica went down",
        Duration::from_secs(30),
        || async { db.count(&runs).await == 3 },
    )
    .await;
    let counted: u64 = db
        .scalar(&format!(
            "SELECT programs_run FROM ide_sessions WHERE session_id = '{session}'"
        ))
        .await;
    assert_eq!(counted, 3, "each run counted once");
    browser.close().await;
    for mut replica in replicas {
        replica.stop().await;
    }
}

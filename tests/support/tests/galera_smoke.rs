use mysql_async::prelude::Queryable;
use usage_test_support::GaleraCluster;

#[tokio::test]
async fn smoke() {
    let t = std::time::Instant::now();
    let mut cluster = GaleraCluster::start().await;
    eprintln!("formed in {:?}", t.elapsed());
    let p0 = mysql_async::Pool::new(cluster.url(0).as_str());
    let mut c = p0.get_conn().await.unwrap();
    c.query_drop(
        "CREATE DATABASE s; CREATE TABLE s.t (id INT PRIMARY KEY); INSERT INTO s.t VALUES (1)",
    )
    .await
    .unwrap();
    let p2 = mysql_async::Pool::new(cluster.url(2).as_str());
    let n: u64 = p2
        .get_conn()
        .await
        .unwrap()
        .query_first("SELECT COUNT(*) FROM s.t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 1);
    let t = std::time::Instant::now();
    cluster.kill(1);
    c.query_drop("INSERT INTO s.t VALUES (2)").await.unwrap();
    cluster.restart(1).await;
    eprintln!("rejoined in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    cluster.restart_all().await;
    eprintln!("full restart in {:?}", t.elapsed());
    let p1 = mysql_async::Pool::new(cluster.url(1).as_str());
    let n: u64 = p1
        .get_conn()
        .await
        .unwrap()
        .query_first("SELECT COUNT(*) FROM s.t")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 2);
}

//! h. Mixed load: normal clients' 200 rate and p99 while hostile clients send rows the database
//! refuses, hold slow half-sent connections and flood, against the same normal load alone, in
//! one run, on one aggregator with the edge's defaults (rate limits on, connection cap).
//! Target: >= 0.9 of the clean run's 200 rate, and no normal request answered anything but 200.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::http::Conn;
use crate::load::{self, MakeBody, Outcome};
use crate::mariadb::ThrowawayMariaDb;
use crate::payload;
use crate::phases::latency;
use crate::procs;

/// The normal load: 40 batches a second (one NAT of 700 tabs), under the per-client limit.
const NORMAL_RATE: f64 = 40.0;
/// Half-sent connections held open: a third of the default connection cap.
const SLOW_CONNECTIONS: usize = 250;
const POISONERS: u64 = 4;

/// What the hostile clients were answered.
#[derive(Default)]
struct Hostile {
    poison_422: AtomicU64,
    poison_other: AtomicU64,
    flood_429: AtomicU64,
    flood_other: AtomicU64,
}

pub async fn figure(db: &ThrowawayMariaDb, secs: u64) -> anyhow::Result<()> {
    db.create_database("hostile").await?;
    let url = db.url("hostile");
    crate::migrate(&url)?;
    // A deployment whose schema refuses what ours accepts: the rows the poisoners send.
    let pool = mysql_async::Pool::new(url.as_str());
    pool.get_conn()
        .await?
        .query_drop(
            "ALTER TABLE feature_usage ADD CONSTRAINT no_poison CHECK (feature_name <> 'poison')",
        )
        .await?;
    pool.disconnect().await?;
    let agg = procs::aggregator_guarded(&url).await?;
    let duration = Duration::from_secs(secs);
    let clean = normal(agg.addr, duration, 1).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let hostile = Arc::new(Hostile::default());
    let mut tasks = Vec::new();
    for client in 0..POISONERS {
        tasks.push(tokio::spawn(poison(
            agg.addr,
            client,
            stop.clone(),
            hostile.clone(),
        )));
    }
    tasks.push(tokio::spawn(flood(agg.addr, stop.clone(), hostile.clone())));
    let slow = slow_connections(agg.addr, SLOW_CONNECTIONS).await;
    let mixed = normal(agg.addr, duration, 2).await?;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    drop(slow);
    agg.stop();
    println!(
        "h. mixed load: normal clients {:.1} ok/s ({}; {} not 200) beside hostile ones; alone {:.1} ok/s ({}; {} not 200); \
         ratio {:.2} (target >= 0.9, 0 not 200)",
        mixed.per_second(),
        latency(&mixed),
        mixed.errors,
        clean.per_second(),
        latency(&clean),
        clean.errors,
        mixed.per_second() / clean.per_second()
    );
    println!(
        "   hostile: {} poisoned batches 422 ({} other), flood {} x 429 ({} other), {} slow connections held",
        hostile.poison_422.load(Ordering::Relaxed),
        hostile.poison_other.load(Ordering::Relaxed),
        hostile.flood_429.load(Ordering::Relaxed),
        hostile.flood_other.load(Ordering::Relaxed),
        SLOW_CONNECTIONS
    );
    Ok(())
}

async fn normal(addr: SocketAddr, duration: Duration, run: u64) -> anyhow::Result<Outcome> {
    let body: MakeBody =
        Arc::new(move |i, _| payload::batch(&payload::session_id(100 + run, i / 10), i % 10));
    load::open_loop(addr, NORMAL_RATE, duration, 64, body).await
}

/// Batches with a feature the database refuses, as fast as they are answered.
async fn poison(addr: SocketAddr, client: u64, stop: Arc<AtomicBool>, seen: Arc<Hostile>) {
    let Ok(mut conn) = Conn::connect_as(addr, &format!("10.66.0.{}", client + 1)).await else {
        return;
    };
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let session = payload::session_id(900 + client, i);
        let body = format!(
            r#"{{"site":"ide","session":"{session}","sent":1000,"events":[{{"id":"{:032x}","seq":0,"t":0,"type":"start"}},{{"id":"{:032x}","seq":1,"t":500,"type":"feature","name":"poison"}}]}}"#,
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        match conn.post(load::PATH, body.as_bytes()).await {
            Ok(422) => seen.poison_422.fetch_add(1, Ordering::Relaxed),
            Ok(_) => seen.poison_other.fetch_add(1, Ordering::Relaxed),
            Err(_) => return,
        };
        // A poisoner that waits for its 422 would send only as fast as the writer isolates it.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One client sending as fast as it is answered: mostly 429 once its burst is spent.
async fn flood(addr: SocketAddr, stop: Arc<AtomicBool>, seen: Arc<Hostile>) {
    let Ok(mut conn) = Conn::connect_as(addr, "10.99.0.1").await else {
        return;
    };
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let body = payload::heartbeat(&payload::session_id(999, i), 1);
        match conn.post(load::PATH, &body).await {
            Ok(429) => seen.flood_429.fetch_add(1, Ordering::Relaxed),
            Ok(_) => seen.flood_other.fetch_add(1, Ordering::Relaxed),
            Err(_) => return,
        };
    }
}

/// Connections that sent the start of a request and then nothing: held until dropped (or until
/// the aggregator's header timeout closes them).
async fn slow_connections(addr: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        if let Ok(mut stream) = TcpStream::connect(addr).await {
            let _ = stream
                .write_all(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nUser-Ag")
                .await;
            held.push(stream);
        }
    }
    held
}

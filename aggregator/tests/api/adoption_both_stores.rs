//! `usage-aggregator adopt` on either store: session rows holding raw addresses and full user
//! agents (as the old deployment wrote them) keep no raw address anywhere afterwards, and the
//! command never prints one. (Adopting the old MySQL database itself: `adoption.rs`.)

use crate::helpers::{both_stores, run_command, StoreKind, TestDb};

const RAW_ADDRESSES: [&str; 3] = ["203.0.113.77", "198.51.100.23", "2001:db8:abcd:12::1"];
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// The sessions of `fixtures/old_deployment.sql`, in portable SQL (times in the stores' shared
/// 'YYYY-MM-DD HH:MM:SS.fff' form).
fn old_sessions() -> String {
    let rows = [
        // The same visitor twice on the 25th.
        (
            "old-1",
            "2026-11-25 09:00",
            Some("2026-11-25 09:10"),
            Some(600),
            Some(FIREFOX),
            Some("203.0.113.77"),
        ),
        (
            "old-2",
            "2026-11-25 17:30",
            Some("2026-11-25 17:35"),
            Some(300),
            Some(FIREFOX),
            Some("203.0.113.77"),
        ),
        (
            "old-3",
            "2026-11-26 08:00",
            Some("2026-11-26 08:20"),
            Some(1200),
            Some(CHROME),
            Some("198.51.100.23"),
        ),
        // Crosses midnight, IPv6, a phone.
        (
            "old-4",
            "2026-11-26 23:45",
            Some("2026-11-27 00:15"),
            Some(1800),
            Some(IPHONE),
            Some("2001:db8:abcd:12::1"),
        ),
        // Never ended.
        (
            "old-5",
            "2026-11-27 10:00",
            None,
            None,
            Some(CHROME),
            Some("198.51.100.23"),
        ),
        (
            "old-6",
            "2026-11-27 11:00",
            Some("2026-11-27 11:01"),
            Some(60),
            None,
            None,
        ),
        (
            "old-7",
            "2026-11-27 12:00",
            Some("2026-11-27 12:01"),
            Some(60),
            Some("curl/8.5.0"),
            Some("unknown"),
        ),
    ];
    let text = |v: Option<&str>| v.map_or("NULL".to_string(), |v| format!("'{v}'"));
    let values: Vec<String> = rows
        .iter()
        .map(|(id, start, end, seconds, agent, ip)| {
            let end = end.map(|e| format!("{e}:00.000"));
            format!(
                "('{id}', '{start}:00.000', {last}, {end}, {seconds}, {agent}, {ip}, 0, 0, 0)",
                last = text(end.as_deref().or(Some(&format!("{start}:00.000")))),
                end = text(end.as_deref()),
                seconds = seconds.map_or("NULL".to_string(), |s: u32| s.to_string()),
                agent = text(*agent),
                ip = text(*ip),
            )
        })
        .collect();
    format!(
        "INSERT INTO ide_sessions (session_id, start_time, last_activity, end_time, duration_seconds, user_agent, \
         ip_address, programs_run, lines_executed, errors_encountered) VALUES {}",
        values.join(", ")
    )
}

/// The most verbose log, so that "never prints an address" covers every log line.
const DEBUG_LOG: (&str, &str) = ("USAGE_LOG", "debug");

/// A migrated database of `kind` holding the old deployment's raw sessions.
async fn raw_sessions(kind: StoreKind) -> TestDb {
    let db = TestDb::create(kind).await;
    let (ok, out) = run_command(&db, &["migrate"], &[]);
    assert!(ok, "{out}");
    db.execute(&old_sessions()).await;
    assert!(
        db.dump().await.contains("203.0.113.77"),
        "raw addresses are stored"
    );
    db
}

/// Runs `adopt` in `mode`, insisting that it rewrote `rows` rows and printed no
/// raw address.
fn adopt(db: &TestDb, mode: &str, rows: u32) {
    let (ok, printed) = run_command(db, &["adopt"], &[("USAGE_IP_MODE", mode), DEBUG_LOG]);
    assert!(ok, "{printed}");
    let expected = format!("rewrote {rows} session row(s), {rows} of which held an IP address");
    assert!(printed.contains(&expected), "{printed}");
    for raw in RAW_ADDRESSES {
        assert!(!printed.contains(raw), "{raw} printed:\n{printed}");
    }
}

async fn assert_no_raw_address(db: &TestDb) {
    let dump = db.dump().await;
    for raw in RAW_ADDRESSES {
        assert!(!dump.contains(raw), "{raw} is still stored:\n{dump}");
    }
}

both_stores!(the_command_truncates_in_truncate_mode_and_never_prints_an_address);
async fn the_command_truncates_in_truncate_mode_and_never_prints_an_address(kind: StoreKind) {
    let db = raw_sessions(kind).await;
    adopt(&db, "truncate", 6);
    let stored: Vec<(String, Option<String>)> = db
        .rows("SELECT session_id, ip_address FROM ide_sessions ORDER BY session_id")
        .await
        .into_iter()
        .map(mysql_async::from_row)
        .collect();
    let of = |id: &str| stored.iter().find(|(s, _)| s == id).unwrap().1.clone();
    assert_eq!(of("old-1").as_deref(), Some("203.0.113.0"));
    assert_eq!(of("old-3").as_deref(), Some("198.51.100.0"));
    assert_eq!(of("old-4").as_deref(), Some("2001:db8:abcd::"));
    assert_eq!(of("old-7"), None, "'unknown' is not an address: dropped");
    assert_no_raw_address(&db).await;
}

async fn hash_of(db: &TestDb, session: &str) -> Option<String> {
    db.scalar(&format!(
        "SELECT visitor_hash FROM ide_sessions WHERE session_id = '{session}'"
    ))
    .await
}

both_stores!(the_command_hashes_in_hash_mode_linking_visits_of_one_day_only);
async fn the_command_hashes_in_hash_mode_linking_visits_of_one_day_only(kind: StoreKind) {
    let db = raw_sessions(kind).await;
    adopt(&db, "hash", 6);
    assert_no_raw_address(&db).await;
    assert_eq!(
        db.count("ide_sessions WHERE ip_address IS NOT NULL").await,
        0
    );
    assert_eq!(
        db.count("visitor_salts").await,
        0,
        "one-off salts are never stored"
    );
    // Same address and agent on the same day: one visitor; the same address another day: not
    // linkable.
    let (h1, h2, h3, h5) = (
        hash_of(&db, "old-1").await,
        hash_of(&db, "old-2").await,
        hash_of(&db, "old-3").await,
        hash_of(&db, "old-5").await,
    );
    assert!(
        h1.as_ref().is_some_and(|h| h.len() == 32) && h1 == h2,
        "{h1:?} {h2:?}"
    );
    assert!(h3.is_some() && h5.is_some() && h3 != h5);
    assert_eq!(
        hash_of(&db, "old-7").await,
        None,
        "'unknown' is not an address: dropped"
    );
    let agent: (String, String, String) = mysql_async::from_row(
        db.rows("SELECT user_agent, browser, device FROM ide_sessions WHERE session_id = 'old-4'")
            .await
            .remove(0),
    );
    assert_eq!(
        agent,
        (
            "Safari 17 / iPhone / mobile".into(),
            "Safari".into(),
            "mobile".into()
        )
    );
    let facts = "SELECT session_id, start_time, end_time, duration_seconds FROM ide_sessions ORDER BY session_id";
    let before: Vec<_> = db
        .rows(facts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    // A rerun finds nothing left to do.
    let (ok, printed) = run_command(&db, &["adopt"], &[("USAGE_IP_MODE", "hash"), DEBUG_LOG]);
    assert!(
        ok && printed.contains("rewrote 0 session row(s)"),
        "{printed}"
    );
    let after: Vec<_> = db
        .rows(facts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(after, before, "nothing else changed");
}

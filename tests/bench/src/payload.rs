//! Request bodies a browser client would send (docs/api.md), written with `format!` so that
//! building them costs the load generator next to nothing.

use std::fmt::Write;

/// Rows one [`batch`] adds besides its session's row: program runs and feature events.
pub const PROGRAMS_PER_BATCH: usize = 6;
pub const FEATURES_PER_BATCH: usize = 6;
pub const EVENTS_PER_BATCH: usize = 20;

/// A session id of a run: `run` keeps the sessions of different phases apart.
pub fn session_id(run: u64, session: u64) -> String {
    format!("{run:016x}{session:016x}")
}

fn event_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// One heartbeat, the `beat`-th of its session (15 s apart).
pub fn heartbeat(session: &str, beat: u64) -> Vec<u8> {
    let t = beat * 15_000;
    format!(
        r#"{{"site":"ide","session":"{session}","sent":{t},"events":[{{"id":"{}","seq":{beat},"t":{t},"type":"heartbeat","visible_ms":{t},"active_ms":{}}}]}}"#,
        event_id(),
        t / 2
    )
    .into_bytes()
}

/// A session's first batch: `start` and a heartbeat.
pub fn opening(session: &str) -> Vec<u8> {
    format!(
        r#"{{"site":"ide","session":"{session}","sent":15000,"events":[{{"id":"{}","seq":0,"t":0,"type":"start"}},{{"id":"{}","seq":1,"t":15000,"type":"heartbeat","visible_ms":15000,"active_ms":9000}}]}}"#,
        event_id(),
        event_id()
    )
    .into_bytes()
}

/// A session's first batch as the browser client sends it once its first heartbeat is due
/// (`wasm-client/src/core/tracker.rs`: events wait for the next heartbeat, which takes them
/// along): `start`, a feature event of the first seconds, the heartbeat. Figure n.
pub fn first_batch(session: &str) -> Vec<u8> {
    format!(
        r#"{{"site":"ide","session":"{session}","sent":15000,"events":[{{"id":"{}","seq":0,"t":0,"type":"start"}},{{"id":"{}","seq":1,"t":4000,"type":"feature","name":"debugger","data":{{"breakpoints":2}}}},{{"id":"{}","seq":2,"t":15000,"type":"heartbeat","visible_ms":15000,"active_ms":9000}}]}}"#,
        event_id(),
        event_id(),
        event_id()
    )
    .into_bytes()
}

/// The `index`-th batch of 20 events of a session: 8 heartbeats, 6 program runs (2 failing),
/// 6 feature events; the first batch opens with `start` in place of a heartbeat.
pub fn batch(session: &str, index: u64) -> Vec<u8> {
    let base_seq = index * EVENTS_PER_BATCH as u64;
    let base_t = index * 60_000;
    let mut events = String::with_capacity(4096);
    for i in 0..EVENTS_PER_BATCH as u64 {
        let (seq, t) = (base_seq + i, base_t + i * 3_000);
        if i > 0 {
            events.push(',');
        }
        let id = event_id();
        let _ = match i % 10 {
            0 if index == 0 && i == 0 => {
                write!(
                    events,
                    r#"{{"id":"{id}","seq":{seq},"t":{t},"type":"start"}}"#
                )
            }
            0..=3 => write!(
                events,
                r#"{{"id":"{id}","seq":{seq},"t":{t},"type":"heartbeat","visible_ms":{t},"active_ms":{}}}"#,
                t / 3
            ),
            4 => write!(
                events,
                r#"{{"id":"{id}","seq":{seq},"t":{t},"type":"program_run","program_lines":12,"execution_time_ms":35,"lines_executed":240,"success":false,"error_message":"?SYNTAX ERROR IN 20"}}"#
            ),
            5 | 6 => write!(
                events,
                r#"{{"id":"{id}","seq":{seq},"t":{t},"type":"program_run","program_lines":12,"execution_time_ms":8,"lines_executed":96,"success":true}}"#
            ),
            _ => write!(
                events,
                r#"{{"id":"{id}","seq":{seq},"t":{t},"type":"feature","name":"debugger","data":{{"breakpoints":2}}}}"#
            ),
        };
    }
    let sent = base_t + (EVENTS_PER_BATCH as u64 - 1) * 3_000;
    format!(r#"{{"site":"ide","session":"{session}","sent":{sent},"events":[{events}]}}"#)
        .into_bytes()
}

//! Property tests of [`super::event::parse`] and what follows from it: whatever the bytes, parsing
//! never panics; whatever it accepts is within every documented bound and makes rows that fit
//! their columns; every well-formed batch within the bounds is accepted.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::event::{
    is_name, parse, EventKind, MAX_ERROR_MESSAGE_CHARS, MAX_EVENTS, MAX_FEATURE_DATA_BYTES,
    MAX_OFFSET_MS,
};
use super::{agent, ingest, widths};

fn hex_id() -> impl Strategy<Value = String> {
    "[0-9a-f]{32}"
}

/// Any text, hostile included: control characters, astral planes, very long.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["\\PC{0,40}", ".{0,700}", "[a-z0-9_.:-]{1,70}"]
}

/// A number that is sometimes in range and sometimes far out of it.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![0..2_000u64, 0..MAX_OFFSET_MS, any::<u64>()]
}

fn event() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just(json!({"type": "start"})),
        Just(json!({"type": "end"})),
        (number(), number()).prop_map(|(v, a)| json!({"type": "heartbeat", "visible_ms": v, "active_ms": a})),
        (text(), proptest::option::of(text()))
            .prop_map(|(name, data)| json!({"type": "feature", "name": name, "data": data.map(|d| json!({"d": d}))})),
        (number(), number(), number(), any::<bool>(), proptest::option::of(text())).prop_map(
            |(p, e, l, s, m)| json!({"type": "program_run", "program_lines": p, "execution_time_ms": e,
                                     "lines_executed": l, "success": s, "error_message": m})
        ),
        text().prop_map(|t| json!({"type": t})),
    ];
    (hex_id(), number(), number(), kind).prop_map(|(id, seq, t, mut kind)| {
        kind["id"] = json!(id);
        kind["seq"] = json!(seq);
        kind["t"] = json!(t);
        kind
    })
}

/// A batch body that is often valid and often subtly not: `tidy` puts the offsets in order, so
/// that many batches pass and what passes is checked.
fn batch() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("ide".to_string()), text()],
        prop_oneof![hex_id(), text()],
        prop_oneof![0..=MAX_OFFSET_MS, any::<u64>()],
        prop_oneof![
            proptest::collection::vec(event(), 0..=6),
            proptest::collection::vec(event(), MAX_EVENTS - 2..=MAX_EVENTS + 2),
        ],
        any::<bool>(),
    )
        .prop_map(|(site, session, sent, mut events, tidy)| {
            if tidy {
                for event in &mut events {
                    let t = event["t"].as_u64().unwrap().min(sent);
                    event["t"] = json!(t);
                    if let Some(visible) = event["visible_ms"].as_u64() {
                        let visible = visible.min(t);
                        event["visible_ms"] = json!(visible);
                        event["active_ms"] =
                            json!(event["active_ms"].as_u64().unwrap().min(visible));
                    }
                }
            }
            json!({"site": site, "session": session, "sent": sent, "events": events})
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&bytes);
    }

}

proptest! {
    // Each case parses up to a hundred events of long text: fewer cases keep it to seconds.
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn whatever_is_accepted_is_within_bounds_and_fits(body in batch(), user_agent in ".{0,2000}") {
        let Ok(batch) = parse(body.to_string().as_bytes()) else { return Ok(()) };
        prop_assert!(is_name(&batch.site));
        prop_assert!(batch.sent_ms <= MAX_OFFSET_MS);
        prop_assert!((1..=MAX_EVENTS).contains(&batch.events.len()));
        for event in &batch.events {
            prop_assert!(event.t_ms <= batch.sent_ms);
            match &event.kind {
                EventKind::Heartbeat { visible_ms, active_ms } => {
                    prop_assert!(active_ms <= visible_ms);
                }
                EventKind::Feature { name, data } => {
                    prop_assert!(is_name(name));
                    prop_assert!(data.as_ref().is_none_or(|d| d.len() <= MAX_FEATURE_DATA_BYTES));
                    if let Some(d) = data {
                        prop_assert!(serde_json::from_str::<Value>(d).is_ok(), "data is valid JSON");
                    }
                }
                EventKind::ProgramRun(run) => {
                    let chars = run.error_message.as_ref().map_or(0, |m| m.chars().count());
                    prop_assert!(chars <= MAX_ERROR_MESSAGE_CHARS);
                }
                EventKind::Start | EventKind::End => {}
            }
        }
        let visitor = ingest::StoredVisitor { visitor_hash: None, ip_address: None };
        let full = widths::fit(&user_agent, widths::USER_AGENT_CHARS);
        let client = ingest::BrowserClient { visitor, agent: agent::reduce(&user_agent), full_user_agent: Some(full) };
        let rows = ingest::rows_of(batch, Some(client), chrono::Utc::now());
        let identity = &rows.session.identity;
        let chars = |text: &Option<std::sync::Arc<str>>| text.as_deref().map_or(0, |t| t.chars().count());
        prop_assert!(chars(&identity.user_agent) <= widths::USER_AGENT_CHARS);
        prop_assert!(chars(&identity.browser) <= widths::BROWSER_CHARS);
        prop_assert!(chars(&identity.os) <= widths::OS_CHARS);
        prop_assert!(chars(&identity.device) <= widths::DEVICE_CHARS);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn every_batch_within_the_bounds_is_accepted(
        session in hex_id(),
        ids in proptest::collection::vec(hex_id(), 1..=MAX_EVENTS),
        sent in 0..=MAX_OFFSET_MS,
    ) {
        let events: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| json!({"id": id, "seq": i, "t": sent, "type": "heartbeat",
                                  "visible_ms": sent, "active_ms": sent / 2}))
            .collect();
        let body = json!({"site": "ide", "session": session, "sent": sent, "events": events});
        prop_assert!(parse(body.to_string().as_bytes()).is_ok());
    }
}

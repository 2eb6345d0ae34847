//! Parsing and validation of batches: every event type, every bound, every refusal with its field.

use super::*;
use serde_json::json;

const SESSION: &str = "8f14e45fceea167a5a36dedd4bea2543";
const ID: &str = "c4ca4238a0b923820dcc509a6f75849b";

fn body(events: Value) -> Vec<u8> {
    json!({"site": "ide", "session": SESSION, "sent": 60000, "events": events})
        .to_string()
        .into_bytes()
}

fn one(event: Value) -> Result<Batch, Invalid> {
    parse(&body(json!([event])))
}

fn field_of(result: Result<Batch, Invalid>) -> String {
    match result.unwrap_err() {
        Invalid::Malformed { field, .. } | Invalid::OutOfRange { field, .. } => field,
    }
}

#[test]
fn parses_every_event_type() {
    let batch = parse(&body(json!([
        {"id": ID, "seq": 0, "t": 0, "type": "start"},
        {"id": ID, "seq": 1, "t": 15000, "type": "heartbeat", "visible_ms": 15000, "active_ms": 4000},
        {"id": ID, "seq": 2, "t": 16000, "type": "feature", "name": "debugger", "data": {"a": 1}},
        {"id": ID, "seq": 3, "t": 17000, "type": "program_run", "program_lines": 3,
         "execution_time_ms": 5, "lines_executed": 30, "success": false, "error_message": "boom"},
        {"id": ID, "seq": 4, "t": 18000, "type": "end", "unknown_field": true}
    ])))
    .unwrap();
    assert_eq!(batch.session.to_hex(), SESSION);
    assert_eq!(batch.events.len(), 5);
    assert_eq!(
        batch.events[1].kind,
        EventKind::Heartbeat {
            visible_ms: 15000,
            active_ms: 4000
        }
    );
    assert_eq!(
        batch.events[2].kind,
        EventKind::Feature {
            name: "debugger".into(),
            data: Some(r#"{"a":1}"#.into())
        }
    );
    let EventKind::ProgramRun(run) = &batch.events[3].kind else {
        panic!("not a run")
    };
    assert_eq!((run.lines_executed, run.success), (30, false));
    assert_eq!(batch.events[4].kind, EventKind::End);
}

#[test]
fn names_the_malformed_field() {
    assert!(matches!(parse(b"not json"), Err(Invalid::Malformed { .. })));
    let wrong_type = one(json!({"id": ID, "seq": 0, "t": 0, "type": "teleport"}));
    assert!(
        matches!(wrong_type, Err(Invalid::Malformed { ref field, .. }) if field.starts_with("events[0]"))
    );
    let missing = one(json!({"id": ID, "seq": 0, "t": 0, "type": "heartbeat", "visible_ms": 1}));
    assert!(field_of(missing).starts_with("events[0]"));
}

#[test]
fn rejects_out_of_range_values_with_their_field() {
    let hb = |v: u64, a: u64| json!({"id": ID, "seq": 0, "t": 10000, "type": "heartbeat", "visible_ms": v, "active_ms": a});
    assert_eq!(field_of(one(hb(20000, 0))), "events[0].visible_ms");
    assert_eq!(field_of(one(hb(5000, 6000))), "events[0].active_ms");
    assert!(one(hb(10500, 10500)).is_ok(), "timer slack is tolerated");
    let feature = |name: &str| json!({"id": ID, "seq": 0, "t": 0, "type": "feature", "name": name});
    assert_eq!(field_of(one(feature("Debugger"))), "events[0].name");
    assert_eq!(field_of(one(feature(&"x".repeat(65)))), "events[0].name");
    let big = json!({"id": ID, "seq": 0, "t": 0, "type": "feature", "name": "f", "data": {"k": "x".repeat(3000)}});
    assert_eq!(field_of(one(big)), "events[0].data");
    let late = json!({"id": ID, "seq": 0, "t": 60001, "type": "start"});
    assert_eq!(field_of(one(late)), "events[0].t");
    let bad_id =
        json!({"id": "C4CA4238A0B923820DCC509A6F75849B", "seq": 0, "t": 0, "type": "start"});
    assert_eq!(field_of(one(bad_id)), "events[0].id");
    let run = json!({"id": ID, "seq": 0, "t": 0, "type": "program_run", "program_lines": 2_000_000,
                     "execution_time_ms": 1, "lines_executed": 1, "success": true});
    assert_eq!(field_of(one(run)), "events[0].program_lines");
    assert_eq!(field_of(parse(&body(json!([])))), "events");
    let many: Vec<Value> = (0..101)
        .map(|i| json!({"id": ID, "seq": i, "t": 0, "type": "start"}))
        .collect();
    assert_eq!(field_of(parse(&body(Value::Array(many)))), "events");
}

#[test]
fn truncates_long_error_messages_on_a_char_boundary() {
    let run = json!({"id": ID, "seq": 0, "t": 0, "type": "program_run", "program_lines": 1,
                     "execution_time_ms": 1, "lines_executed": 1, "success": false,
                     "error_message": "é".repeat(600)});
    let batch = one(run).unwrap();
    let EventKind::ProgramRun(run) = &batch.events[0].kind else {
        panic!("not a run")
    };
    assert_eq!(
        run.error_message.as_ref().unwrap().chars().count(),
        MAX_ERROR_MESSAGE_CHARS
    );
}

#[test]
fn a_server_batch_is_told_apart() {
    let batch = |source: &str| {
        json!({"site": "ide", "session": SESSION, "sent": 10, "source": source, "events": [
            {"id": ID, "seq": 0, "t": 0, "type": "feature", "name": "save"}]})
        .to_string()
    };
    assert_eq!(
        parse(batch("server").as_bytes()).unwrap().source,
        Source::Server
    );
    assert_eq!(
        parse(batch("browser").as_bytes()).unwrap().source,
        Source::Browser
    );
    let start = body(json!([{"id": ID, "seq": 0, "t": 0, "type": "start"}]));
    assert_eq!(parse(&start).unwrap().source, Source::Browser, "by default");
    assert!(matches!(
        parse(batch("robot").as_bytes()),
        Err(Invalid::Malformed { .. })
    ));
}

#[test]
fn site_and_session_are_checked() {
    let bad_site = json!({"site": "", "session": SESSION, "sent": 0, "events": [{"id": ID, "seq": 0, "t": 0, "type": "start"}]});
    assert_eq!(field_of(parse(bad_site.to_string().as_bytes())), "site");
    let bad_session = json!({"site": "ide", "session": "abc", "sent": 0, "events": [{"id": ID, "seq": 0, "t": 0, "type": "start"}]});
    assert_eq!(
        field_of(parse(bad_session.to_string().as_bytes())),
        "session"
    );
}

#[test]
fn names_made_only_of_dots_are_refused() {
    let feature = |name: &str| json!({"id": ID, "seq": 0, "t": 0, "type": "feature", "name": name});
    for dots in [".", "..", "..."] {
        assert_eq!(field_of(one(feature(dots))), "events[0].name", "{dots:?}");
        let site = json!({"site": dots, "session": SESSION, "sent": 0,
                          "events": [{"id": ID, "seq": 0, "t": 0, "type": "start"}]});
        assert_eq!(field_of(parse(site.to_string().as_bytes())), "site");
    }
    for name in ["menu.open", ".hidden", "v1.2", "..x"] {
        assert!(one(feature(name)).is_ok(), "{name:?}");
    }
}

#[test]
fn automation_signals_mark_the_batch_and_are_bounded() {
    let with = |automation: Value| {
        let start = json!([{"id": ID, "seq": 0, "t": 0, "type": "start"}]);
        parse(
            json!({"site": "ide", "session": SESSION, "sent": 1000, "events": start,
                   "automation": automation})
            .to_string()
            .as_bytes(),
        )
    };
    let automated = with(json!(["webdriver", "headless"])).unwrap();
    assert!(automated.automated && automated.opens_session());
    // An empty list, like an older client's batch without the field, is a person's.
    assert!(!with(json!([])).unwrap().automated);
    assert!(
        !one(json!({"id": ID, "seq": 1, "t": 0, "type": "end"}))
            .unwrap()
            .automated
    );
    assert!(!one(json!({"id": ID, "seq": 1, "t": 0, "type": "end"}))
        .unwrap()
        .opens_session());
    assert_eq!(field_of(with(json!(["Web Driver"]))), "automation");
    assert_eq!(field_of(with(json!(vec!["a"; 9]))), "automation");
    assert_eq!(field_of(with(json!("webdriver"))), "automation");
}

#[test]
fn reads_an_event_whatever_the_order_of_its_fields() {
    let batch = parse(&body(json!([
        {"active_ms": 4000, "type": "heartbeat", "extra": [1, {"a": null}], "visible_ms": 15000,
         "t": 15000, "seq": 1, "id": ID},
        {"error_message": null, "success": true, "lines_executed": 3, "execution_time_ms": 1,
         "program_lines": 2, "type": "program_run", "t": 1, "seq": 2, "id": ID},
        {"data": null, "name": "save", "type": "feature", "t": 1, "seq": 3, "id": ID}
    ])))
    .unwrap();
    assert_eq!(
        batch.events[0].kind,
        EventKind::Heartbeat {
            visible_ms: 15000,
            active_ms: 4000
        }
    );
    let EventKind::ProgramRun(run) = &batch.events[1].kind else {
        panic!("not a run")
    };
    assert_eq!((run.program_lines, run.error_message.as_deref()), (2, None));
    assert_eq!(
        batch.events[2].kind,
        EventKind::Feature {
            name: "save".into(),
            data: None
        }
    );
}

#[test]
fn refuses_what_the_derived_reader_refused_with_its_path() {
    let twice = parse(br#"{"site":"ide","session":"8f14e45fceea167a5a36dedd4bea2543","sent":1,
        "events":[{"id":"c4ca4238a0b923820dcc509a6f75849b","seq":0,"seq":1,"t":0,"type":"start"}]}"#);
    assert!(
        matches!(twice, Err(Invalid::Malformed { ref field, .. }) if field.starts_with("events[0]"))
    );
    let wrong = one(json!({"id": ID, "seq": 0, "t": 0, "type": "heartbeat",
                           "visible_ms": "1", "active_ms": 0}));
    assert!(
        matches!(wrong, Err(Invalid::Malformed { ref field, .. }) if field == "events[0].visible_ms")
    );
    let untyped = one(json!({"id": ID, "seq": 0, "t": 0}));
    assert!(
        matches!(untyped, Err(Invalid::Malformed { ref field, .. }) if field.starts_with("events[0]"))
    );
    let no_name = one(json!({"id": ID, "seq": 0, "t": 0, "type": "feature"}));
    assert!(matches!(no_name, Err(Invalid::Malformed { .. })));
    let not_object = parse(&body(json!([5])));
    assert!(
        matches!(not_object, Err(Invalid::Malformed { ref field, .. }) if field.starts_with("events[0]"))
    );
    // A field of another type's is read for its type too (the derived reader ignored it).
    let stray = one(json!({"id": ID, "seq": 0, "t": 0, "type": "start", "name": 5}));
    assert!(matches!(stray, Err(Invalid::Malformed { .. })));
}

//! The event types of the ingest API (docs/api.md) and their JSON form, plus the cleaning of
//! values coming from the host page (names, numbers, messages) so a batch is never rejected (4xx)
//! because of one sloppy call.

use super::json::{push_ascii, push_key, push_str, push_u64};
use alloc::string::String;

/// Largest serialized `data` object the API accepts for a feature event.
pub const MAX_DATA_BYTES: usize = 2048;
/// The API cuts error messages to this many characters; cutting here saves bandwidth.
pub const MAX_ERROR_CHARS: usize = 500;
const MAX_COUNT: u64 = 1_000_000_000;
const MAX_PROGRAM_LINES: u64 = 1_000_000;

/// One program execution as reported by the host page, already clamped to the API's ranges.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgramRun {
    pub program_lines: u64,
    pub execution_time_ms: u64,
    pub lines_executed: u64,
    pub success: bool,
    pub error_message: Option<String>,
}

impl ProgramRun {
    /// Builds a run from raw JS numbers (NaN, negative or huge values are clamped) and an
    /// optional message (cut to 500 characters).
    pub fn from_raw(
        program_lines: f64,
        execution_time_ms: f64,
        lines_executed: f64,
        success: bool,
        error_message: Option<&str>,
    ) -> Self {
        ProgramRun {
            program_lines: super::json::clamp_u64(program_lines, MAX_PROGRAM_LINES),
            execution_time_ms: super::json::clamp_u64(execution_time_ms, MAX_COUNT),
            lines_executed: super::json::clamp_u64(lines_executed, MAX_COUNT),
            success,
            error_message: error_message.map(|m| truncate_chars(m, MAX_ERROR_CHARS)),
        }
    }
}

/// What happened; the common fields (id, seq, t) are added by [`event_json`].
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    Start,
    End,
    Heartbeat {
        visible_ms: u64,
        active_ms: u64,
    },
    /// `name` must already be cleaned by [`clean_name`]; `data` a JSON object from [`check_data`].
    Feature {
        name: &'a str,
        data: Option<&'a str>,
    },
    ProgramRun(&'a ProgramRun),
}

impl Kind<'_> {
    /// Heartbeats are the first thing dropped when storage is full: a later one supersedes them.
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Kind::Heartbeat { .. })
    }
}

/// Writes one event object: `{"id":..,"seq":..,"t":..,"type":..,...}`.
pub fn event_json(id: &str, seq: u32, t: u64, kind: &Kind<'_>) -> String {
    let mut o = String::with_capacity(96);
    o.push('{');
    push_key(&mut o, "id");
    push_str(&mut o, id);
    o.push(',');
    push_key(&mut o, "seq");
    push_u64(&mut o, u64::from(seq));
    o.push(',');
    push_key(&mut o, "t");
    push_u64(&mut o, t);
    o.push(',');
    push_key(&mut o, "type");
    match kind {
        Kind::Start => o.push_str("\"start\""),
        Kind::End => o.push_str("\"end\""),
        Kind::Heartbeat {
            visible_ms,
            active_ms,
        } => {
            o.push_str("\"heartbeat\",");
            push_key(&mut o, "visible_ms");
            push_u64(&mut o, *visible_ms);
            o.push(',');
            push_key(&mut o, "active_ms");
            push_u64(&mut o, *active_ms);
        }
        Kind::Feature { name, data } => {
            o.push_str("\"feature\",");
            push_key(&mut o, "name");
            push_str(&mut o, name);
            if let Some(d) = data {
                o.push(',');
                push_key(&mut o, "data");
                o.push_str(d);
            }
        }
        Kind::ProgramRun(r) => {
            o.push_str("\"program_run\",");
            push_key(&mut o, "program_lines");
            push_u64(&mut o, r.program_lines);
            o.push(',');
            push_key(&mut o, "execution_time_ms");
            push_u64(&mut o, r.execution_time_ms);
            o.push(',');
            push_key(&mut o, "lines_executed");
            push_u64(&mut o, r.lines_executed);
            o.push(',');
            push_key(&mut o, "success");
            o.push_str(if r.success { "true" } else { "false" });
            if let Some(m) = &r.error_message {
                o.push(',');
                push_key(&mut o, "error_message");
                push_str(&mut o, m);
            }
        }
    }
    o.push('}');
    o
}

/// True if `s` is a valid site id or feature name: `[a-z0-9_.:-]{1,64}`, not only dots.
pub fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(name_byte_ok) && !s.bytes().all(|b| b == b'.')
}

fn name_byte_ok(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
}

/// Turns a host page's feature name into a valid one (`Save File` -> `save_file`): trimmed,
/// lowercased, other characters become `_`, cut to 64. `None` if nothing usable is left: only
/// `_`, or only dots (`.` and `..`, which the aggregator refuses: a browser drops them from a URL).
pub fn clean_name(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len().min(64));
    // The trim happens in the same pass (no second, backwards UTF-8 scan): whitespace seen since
    // the last other character is only written, as `_`, once another character follows.
    let mut gap = 0;
    for c in raw.chars() {
        if c.is_whitespace() {
            if !out.is_empty() {
                gap += 1;
            }
            continue;
        }
        for _ in 0..gap {
            if out.len() < 64 {
                out.push('_');
            }
        }
        gap = 0;
        if out.len() == 64 {
            break;
        }
        let b = if c.is_ascii() {
            c.to_ascii_lowercase() as u8
        } else {
            b'_'
        };
        push_ascii(&mut out, if name_byte_ok(b) { b } else { b'_' });
    }
    if out.bytes().all(|b| b == b'_') || out.bytes().all(|b| b == b'.') {
        None
    } else {
        Some(out)
    }
}

/// Accepts `data` (the output of `JSON.stringify`) only if it is an object of at most 2 KiB, the
/// API's rule; anything else is left out of the event rather than failing the whole batch.
pub fn check_data(json: &str) -> Option<&str> {
    // JSON whitespace is ASCII only.
    let t = json.trim_ascii();
    let b = t.as_bytes();
    if b.first() == Some(&b'{') && b.last() == Some(&b'}') && t.len() <= MAX_DATA_BYTES {
        Some(t)
    } else {
        None
    }
}

/// The first `max` characters of `s`. Counts char starts (bytes other than UTF-8 continuation
/// bytes `10xxxxxx`) rather than decoding.
pub fn truncate_chars(s: &str, max: usize) -> String {
    let mut n = 0;
    for (i, b) in s.bytes().enumerate() {
        if b & 0xc0 != 0x80 {
            if n == max {
                return String::from(s.get(..i).unwrap_or(s));
            }
            n += 1;
        }
    }
    String::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn start_end_and_heartbeat_json() {
        assert_eq!(
            event_json(ID, 0, 0, &Kind::Start),
            "{\"id\":\"0123456789abcdef0123456789abcdef\",\"seq\":0,\"t\":0,\"type\":\"start\"}"
        );
        assert_eq!(
            event_json(ID, 5, 31000, &Kind::End),
            "{\"id\":\"0123456789abcdef0123456789abcdef\",\"seq\":5,\"t\":31000,\"type\":\"end\"}"
        );
        let hb = Kind::Heartbeat {
            visible_ms: 15000,
            active_ms: 9000,
        };
        assert!(hb.is_heartbeat());
        assert!(event_json(ID, 1, 15000, &hb).ends_with(
            "\"t\":15000,\"type\":\"heartbeat\",\"visible_ms\":15000,\"active_ms\":9000}"
        ));
    }

    #[test]
    fn feature_json_with_and_without_data() {
        let k = Kind::Feature {
            name: "debugger",
            data: Some("{\"breakpoints\":2}"),
        };
        assert!(!k.is_heartbeat());
        assert!(event_json(ID, 3, 24000, &k)
            .ends_with("\"type\":\"feature\",\"name\":\"debugger\",\"data\":{\"breakpoints\":2}}"));
        let k = Kind::Feature {
            name: "save",
            data: None,
        };
        assert!(event_json(ID, 3, 1, &k).ends_with("\"type\":\"feature\",\"name\":\"save\"}"));
    }

    #[test]
    fn program_run_json_escapes_the_message() {
        let r = ProgramRun::from_raw(12.0, 35.2, 240.0, false, Some("?SYNTAX \"ERROR\"\n IN 20"));
        let j = event_json(ID, 2, 21000, &Kind::ProgramRun(&r));
        assert!(j.ends_with(
            "\"type\":\"program_run\",\"program_lines\":12,\"execution_time_ms\":35,\
             \"lines_executed\":240,\"success\":false,\"error_message\":\"?SYNTAX \\\"ERROR\\\"\\n IN 20\"}"
        ));
        let ok = ProgramRun::from_raw(1.0, 0.0, 1.0, true, None);
        assert!(event_json(ID, 2, 1, &Kind::ProgramRun(&ok)).ends_with("\"success\":true}"));
    }

    #[test]
    fn program_run_clamps_garbage() {
        let long = "é".repeat(700);
        let r = ProgramRun::from_raw(f64::NAN, -3.0, 5e12, true, Some(&long));
        assert_eq!(r.program_lines, 0);
        assert_eq!(r.execution_time_ms, 0);
        assert_eq!(r.lines_executed, 1_000_000_000);
        assert_eq!(
            r.error_message.as_ref().map(|m| m.chars().count()),
            Some(500)
        );
        assert_eq!(
            ProgramRun::from_raw(5e6, 0.0, 0.0, true, None).program_lines,
            1_000_000
        );
    }

    #[test]
    fn names_are_validated_and_cleaned() {
        assert!(is_valid_name("ide"));
        assert!(is_valid_name("a-b_c.d:e9"));
        assert!(!is_valid_name(""));
        assert!(!is_valid_name("IDE"));
        assert!(!is_valid_name("a b"));
        assert!(!is_valid_name(&"a".repeat(65)));
        assert!(!is_valid_name(".."));
        assert_eq!(clean_name("Save File").as_deref(), Some("save_file"));
        assert_eq!(clean_name("  debugger ").as_deref(), Some("debugger"));
        assert_eq!(clean_name("Größe").as_deref(), Some("gr__e"));
        assert_eq!(clean_name(&"x".repeat(100)).map(|n| n.len()), Some(64));
        assert_eq!(clean_name("   "), None);
        assert_eq!(clean_name("!!!"), None);
        assert_eq!(clean_name(".."), None, "the aggregator refuses dots only");
        assert_eq!(clean_name(" . "), None);
        assert_eq!(clean_name("v1.2").as_deref(), Some("v1.2"));
        for n in ["Save File", "Größe", "a/b?c"] {
            assert!(is_valid_name(&clean_name(n).unwrap_or_default()));
        }
    }

    #[test]
    fn data_must_be_a_small_object() {
        assert_eq!(check_data("{\"a\":1}"), Some("{\"a\":1}"));
        assert_eq!(check_data("[1,2]"), None);
        assert_eq!(check_data("\"text\""), None);
        assert_eq!(check_data("3"), None);
        let big = String::from("{\"a\":\"") + &"x".repeat(2100) + "\"}";
        assert_eq!(check_data(&big), None);
    }

    #[test]
    fn truncates_by_characters() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("aé🚀x", 3), "aé🚀");
    }
}

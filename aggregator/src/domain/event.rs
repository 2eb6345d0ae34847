//! The wire format of an ingest batch (see docs/api.md) and its validation. A batch that comes out
//! of [`parse`] is safe to store: every id, name, number and string is within bounds.

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::widths::fit;

pub const MAX_EVENTS: usize = 100;
/// Largest client offset we accept: a session kept open for a week is already implausible.
pub const MAX_OFFSET_MS: u64 = 7 * 24 * 3600 * 1000;
pub const MAX_FEATURE_DATA_BYTES: usize = 2048;
pub const MAX_ERROR_MESSAGE_CHARS: usize = 500;
/// Automation signals a batch may name.
pub const MAX_AUTOMATION_SIGNALS: usize = 8;
const MAX_COUNT: u64 = 1_000_000_000;
const MAX_PROGRAM_LINES: u64 = 1_000_000;
/// Timers in a background tab fire late; cumulative visible time may run a little past `t`.
const TIMER_SLACK_MS: u64 = 1000;

/// Why a batch was refused, with the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Not JSON, or not of the documented shape (400).
    Malformed { field: String, reason: String },
    /// Well-formed but outside the documented bounds (422).
    OutOfRange { field: String, reason: String },
}

impl Invalid {
    fn range(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Invalid::OutOfRange {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A 128-bit id, from its 32-digit lowercase hex form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id128(pub [u8; 16]);

impl Id128 {
    pub fn parse(text: &str) -> Option<Self> {
        let valid =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut out = [0u8; 16];
        (valid && hex::decode_to_slice(text, &mut out).is_ok()).then_some(Id128(out))
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub site: String,
    pub session: Id128,
    pub sent_ms: u64,
    pub source: Source,
    /// The browser reported automation signals (`automation` on the wire, non-empty).
    pub automated: bool,
    pub events: Vec<Event>,
}

impl Batch {
    /// The batch opens its session (it carries the `start` event): where a session the
    /// aggregator filters is counted, once.
    pub fn opens_session(&self) -> bool {
        self.events.iter().any(|e| e.kind == EventKind::Start)
    }
}

/// Who sent a batch. A server reports runs and features of a browser's session on its behalf
/// (docs/integration.md): its address and User-Agent are not the visitor's, so its batches
/// leave the session's visitor identity and times to the browser's batches (docs/api.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    Browser,
    Server,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: Id128,
    pub seq: u32,
    pub t_ms: u64,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Start,
    Heartbeat { visible_ms: u64, active_ms: u64 },
    Feature { name: String, data: Option<String> },
    ProgramRun(ProgramRun),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramRun {
    pub program_lines: u32,
    pub execution_time_ms: u32,
    pub lines_executed: u32,
    pub success: bool,
    pub error_message: Option<String>,
}

// The wire types below are also the OpenAPI description of a batch (`http::openapi`): their
// `schema` bounds repeat the checks of `validate` that a schema can say (the tests of
// `http::openapi` compare them with the constants above).

/// A batch of one session's events (docs/api.md).
#[derive(Deserialize, ToSchema)]
pub struct WireBatch {
    /// Which site or app the session belongs to.
    #[schema(pattern = r"^[a-z0-9_.:-]{1,64}$", example = "ide")]
    site: String,
    /// The random 128-bit session id the client chose: 32 lowercase hex digits.
    #[schema(
        pattern = "^[0-9a-f]{32}$",
        example = "8f14e45fceea167a5a36dedd4bea2543"
    )]
    session: String,
    /// The client's offset (ms since the session started) when it sent the batch.
    #[schema(maximum = 604_800_000)]
    sent: u64,
    /// `server` for a batch a server sends for a browser's session: only its `feature` and
    /// `program_run` events count, and no visitor identity is taken from it. Default `browser`.
    #[serde(default)]
    source: Source,
    /// The browser automation signals the page read (`webdriver`: `navigator.webdriver` is
    /// true; `headless`: a headless User-Agent). Any marks the session as automated: the
    /// aggregator filters it (`filter_automation`). Absent from older clients and from pages
    /// whose tag allows automation (`data-automation="allow"`).
    #[serde(default)]
    /// Each a name: `[a-z0-9_.:-]{1,64}`.
    #[schema(max_items = 8)]
    automation: Vec<String>,
    #[schema(min_items = 1, max_items = 100)]
    events: Vec<WireEvent>,
}

/// One event; unknown fields are ignored. Read by hand (`wire`), in one pass.
#[derive(ToSchema)]
pub struct WireEvent {
    /// Random 128-bit id of the event: a second copy of an id is ignored.
    #[schema(pattern = "^[0-9a-f]{32}$")]
    id: String,
    /// Per-session sequence number, in the order the client created the events.
    #[schema(maximum = 4_294_967_295_u64)]
    seq: u64,
    /// The client's offset (ms since the session started) when the event happened: at most `sent`.
    #[schema(maximum = 604_800_000)]
    t: u64,
    #[serde(flatten)]
    kind: WireKind,
}

/// What happened, by `type` (built by `wire`; the `serde` attributes describe the schema).
#[derive(ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WireKind {
    Start,
    /// Cumulative ms the page was visible, and visible with recent input, since the session
    /// started: `active_ms <= visible_ms <= t` (+1 s of timer slack).
    Heartbeat {
        visible_ms: u64,
        active_ms: u64,
    },
    Feature {
        #[schema(pattern = r"^[a-z0-9_.:-]{1,64}$")]
        name: String,
        /// A JSON object of at most 2 KiB serialized.
        #[schema(value_type = Option<Object>)]
        data: Option<Map<String, Value>>,
    },
    ProgramRun {
        #[schema(maximum = 1_000_000)]
        program_lines: u64,
        #[schema(maximum = 1_000_000_000)]
        execution_time_ms: u64,
        #[schema(maximum = 1_000_000_000)]
        lines_executed: u64,
        success: bool,
        /// Cut to 500 characters.
        error_message: Option<String>,
    },
    End,
}

/// Parses and validates a request body.
pub fn parse(body: &[u8]) -> Result<Batch, Invalid> {
    // Tracking the path of every field cost a tenth of a request's CPU: a body is parsed
    // without it, and only a body that fails is parsed again to say where.
    let wire: WireBatch = match serde_json::from_slice(body) {
        Ok(wire) => wire,
        Err(_) => {
            let de = &mut serde_json::Deserializer::from_slice(body);
            serde_path_to_error::deserialize(de).map_err(|e| Invalid::Malformed {
                field: e.path().to_string(),
                reason: e.inner().to_string(),
            })?
        }
    };
    validate(wire)
}

fn validate(wire: WireBatch) -> Result<Batch, Invalid> {
    if !is_name(&wire.site) {
        return Err(Invalid::range("site", NAME_RULE));
    }
    let session = Id128::parse(&wire.session)
        .ok_or_else(|| Invalid::range("session", "must be 32 lowercase hex digits"))?;
    if wire.sent > MAX_OFFSET_MS {
        return Err(Invalid::range(
            "sent",
            format!("must be at most {MAX_OFFSET_MS}"),
        ));
    }
    if wire.events.is_empty() || wire.events.len() > MAX_EVENTS {
        return Err(Invalid::range(
            "events",
            format!("must hold 1 to {MAX_EVENTS} events"),
        ));
    }
    if wire.automation.len() > MAX_AUTOMATION_SIGNALS || !wire.automation.iter().all(|s| is_name(s))
    {
        return Err(Invalid::range(
            "automation",
            format!(
                "must hold at most {MAX_AUTOMATION_SIGNALS} names matching [a-z0-9_.:-]{{1,64}}"
            ),
        ));
    }
    let events = wire
        .events
        .into_iter()
        .enumerate()
        .map(|(i, event)| validate_event(event, wire.sent, i))
        .collect::<Result<_, _>>()?;
    Ok(Batch {
        site: wire.site,
        session,
        sent_ms: wire.sent,
        source: wire.source,
        automated: !wire.automation.is_empty(),
        events,
    })
}

/// `index` names the event in a refusal: its path is built only for one (a request's events
/// are many, refusals rare).
fn validate_event(wire: WireEvent, sent: u64, index: usize) -> Result<Event, Invalid> {
    let at = At(index);
    let id = Id128::parse(&wire.id)
        .ok_or_else(|| Invalid::range(format!("{at}.id"), "must be 32 lowercase hex digits"))?;
    let seq = u32::try_from(wire.seq)
        .map_err(|_| Invalid::range(format!("{at}.seq"), "must fit in 32 bits"))?;
    if wire.t > sent {
        return Err(Invalid::range(
            format!("{at}.t"),
            "must not be after the batch's `sent`",
        ));
    }
    let kind = match wire.kind {
        WireKind::Start => EventKind::Start,
        WireKind::End => EventKind::End,
        WireKind::Heartbeat {
            visible_ms,
            active_ms,
        } => {
            if visible_ms > wire.t + TIMER_SLACK_MS {
                return Err(Invalid::range(
                    format!("{at}.visible_ms"),
                    "must not exceed t",
                ));
            }
            if active_ms > visible_ms {
                return Err(Invalid::range(
                    format!("{at}.active_ms"),
                    "must not exceed visible_ms",
                ));
            }
            EventKind::Heartbeat {
                visible_ms,
                active_ms,
            }
        }
        WireKind::Feature { name, data } => {
            if !is_name(&name) {
                return Err(Invalid::range(format!("{at}.name"), NAME_RULE));
            }
            let data = data.map(|map| Value::Object(map).to_string());
            if data
                .as_ref()
                .is_some_and(|d| d.len() > MAX_FEATURE_DATA_BYTES)
            {
                let reason = format!("must serialize to at most {MAX_FEATURE_DATA_BYTES} bytes");
                return Err(Invalid::range(format!("{at}.data"), reason));
            }
            EventKind::Feature { name, data }
        }
        WireKind::ProgramRun {
            program_lines,
            execution_time_ms,
            lines_executed,
            success,
            error_message,
        } => EventKind::ProgramRun(ProgramRun {
            program_lines: bounded(program_lines, MAX_PROGRAM_LINES, at, "program_lines")?,
            execution_time_ms: bounded(execution_time_ms, MAX_COUNT, at, "execution_time_ms")?,
            lines_executed: bounded(lines_executed, MAX_COUNT, at, "lines_executed")?,
            success,
            error_message: error_message.map(|m| fit(&m, MAX_ERROR_MESSAGE_CHARS)),
        }),
    };
    Ok(Event {
        id,
        seq,
        t_ms: wire.t,
        kind,
    })
}

/// The path of the event at an index of `events`, as a refusal names it: `events[3]`.
#[derive(Clone, Copy)]
struct At(usize);

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "events[{}]", self.0)
    }
}

fn bounded(value: u64, max: u64, at: At, name: &str) -> Result<u32, Invalid> {
    if value > max {
        return Err(Invalid::range(
            format!("{at}.{name}"),
            format!("must be at most {max}"),
        ));
    }
    Ok(value as u32)
}

/// Names of sites and features: `[a-z0-9_.:-]{1,64}`, and not only dots: `.` and `..` are
/// path steps, which a browser normalizes out of a drill-down URL (`/features/..`).
pub fn is_name(text: &str) -> bool {
    is_stored_name(text) && !text.bytes().all(|b| b == b'.')
}

/// The character rule alone, for reading back what releases before the dots rule stored.
pub fn is_stored_name(text: &str) -> bool {
    (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b':' | b'-'))
}

/// What a refused name is told.
const NAME_RULE: &str = "must match [a-z0-9_.:-]{1,64} and not be only dots";

mod wire;

#[cfg(test)]
mod tests;

//! Reading one event of a batch in one pass. Derived, `WireEvent`'s `#[serde(flatten)]` of the
//! internally tagged `WireKind` made serde buffer every field of every event into a tree of its
//! own before reading it, and the tag's enum a second time; here each field goes straight to its
//! slot and the event is built once `type` is known, whatever the order of the fields. Refusals
//! stay as the derived ones were: a missing field, a field of the wrong type and an unknown
//! `type` are malformed (400) with the event's path, and unknown fields are ignored.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{WireEvent, WireKind};

/// The names the derived `WireKind` knew for `type`.
const TYPES: &[&str] = &["start", "heartbeat", "feature", "program_run", "end"];

#[derive(Clone, Copy)]
enum Type {
    Start,
    Heartbeat,
    Feature,
    ProgramRun,
    End,
}

/// A field's name, read without copying it.
enum Key {
    Id,
    Seq,
    T,
    Type,
    VisibleMs,
    ActiveMs,
    Name,
    Data,
    ProgramLines,
    ExecutionTimeMs,
    LinesExecuted,
    Success,
    ErrorMessage,
    Other,
}

/// Reads an identifier (a field name or the value of `type`) as a borrowed or transient `&str`.
struct Word<T>(fn(&str) -> Option<T>, &'static str);

impl<T> Visitor<'_> for Word<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Option<T>, E> {
        Ok((self.0)(text))
    }
}

fn key(text: &str) -> Option<Key> {
    Some(match text {
        "id" => Key::Id,
        "seq" => Key::Seq,
        "t" => Key::T,
        "type" => Key::Type,
        "visible_ms" => Key::VisibleMs,
        "active_ms" => Key::ActiveMs,
        "name" => Key::Name,
        "data" => Key::Data,
        "program_lines" => Key::ProgramLines,
        "execution_time_ms" => Key::ExecutionTimeMs,
        "lines_executed" => Key::LinesExecuted,
        "success" => Key::Success,
        "error_message" => Key::ErrorMessage,
        _ => Key::Other,
    })
}

fn type_of(text: &str) -> Option<Type> {
    Some(match text {
        "start" => Type::Start,
        "heartbeat" => Type::Heartbeat,
        "feature" => Type::Feature,
        "program_run" => Type::ProgramRun,
        "end" => Type::End,
        _ => return None,
    })
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let word = deserializer.deserialize_identifier(Word(key, "a field name"))?;
        Ok(word.unwrap_or(Key::Other))
    }
}

/// The value of `type`, refused unless it names a type.
struct TypeName(Type);

impl<'de> Deserialize<'de> for TypeName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Named;
        impl Visitor<'_> for Named {
            type Value = Type;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event type")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Type, E> {
                type_of(text).ok_or_else(|| E::unknown_variant(text, TYPES))
            }
        }
        deserializer.deserialize_str(Named).map(TypeName)
    }
}

/// Every field an event of any type may carry, as read so far.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    seq: Option<u64>,
    t: Option<u64>,
    kind: Option<TypeName>,
    visible_ms: Option<u64>,
    active_ms: Option<u64>,
    name: Option<String>,
    data: Option<Map<String, Value>>,
    program_lines: Option<u64>,
    execution_time_ms: Option<u64>,
    lines_executed: Option<u64>,
    success: Option<bool>,
    error_message: Option<String>,
}

/// Reads the next value into `slot`, refusing a second copy of the field. A `nullable` field
/// may be given as `null` (absent and null alike are None).
fn fill<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
    nullable: bool,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = if nullable {
        map.next_value::<Option<T>>()?
    } else {
        Some(map.next_value()?)
    };
    Ok(())
}

fn needed<T, E: de::Error>(value: Option<T>, name: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(name))
}

struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = WireEvent;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireEvent, A::Error> {
        let mut f = Fields::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Id => fill(&mut map, &mut f.id, "id", false)?,
                Key::Seq => fill(&mut map, &mut f.seq, "seq", false)?,
                Key::T => fill(&mut map, &mut f.t, "t", false)?,
                Key::Type => fill(&mut map, &mut f.kind, "type", false)?,
                Key::VisibleMs => fill(&mut map, &mut f.visible_ms, "visible_ms", false)?,
                Key::ActiveMs => fill(&mut map, &mut f.active_ms, "active_ms", false)?,
                Key::Name => fill(&mut map, &mut f.name, "name", false)?,
                Key::Data => fill(&mut map, &mut f.data, "data", true)?,
                Key::ProgramLines => fill(&mut map, &mut f.program_lines, "program_lines", false)?,
                Key::ExecutionTimeMs => fill(
                    &mut map,
                    &mut f.execution_time_ms,
                    "execution_time_ms",
                    false,
                )?,
                Key::LinesExecuted => {
                    fill(&mut map, &mut f.lines_executed, "lines_executed", false)?
                }
                Key::Success => fill(&mut map, &mut f.success, "success", false)?,
                Key::ErrorMessage => fill(&mut map, &mut f.error_message, "error_message", true)?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let kind = match needed(f.kind, "type")?.0 {
            Type::Start => WireKind::Start,
            Type::End => WireKind::End,
            Type::Heartbeat => WireKind::Heartbeat {
                visible_ms: needed(f.visible_ms, "visible_ms")?,
                active_ms: needed(f.active_ms, "active_ms")?,
            },
            Type::Feature => WireKind::Feature {
                name: needed(f.name, "name")?,
                data: f.data,
            },
            Type::ProgramRun => WireKind::ProgramRun {
                program_lines: needed(f.program_lines, "program_lines")?,
                execution_time_ms: needed(f.execution_time_ms, "execution_time_ms")?,
                lines_executed: needed(f.lines_executed, "lines_executed")?,
                success: needed(f.success, "success")?,
                error_message: f.error_message,
            },
        };
        Ok(WireEvent {
            id: needed(f.id, "id")?,
            seq: needed(f.seq, "seq")?,
            t: needed(f.t, "t")?,
            kind,
        })
    }
}

impl<'de> Deserialize<'de> for WireEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

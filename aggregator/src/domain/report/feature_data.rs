//! Feature data (`/api/v1/stats/features/{name}`): the most frequent values of each key of the
//! JSON objects a feature's events carry. Pure and bounded: the store reads distinct data texts
//! with their counts per day, [`merge_texts`] adds them up (keeping at most [`MAX_DISTINCT`]),
//! [`summarize`] counts keys and values.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::csv::{self, Table, Text};
use super::dates::{DateRange, Span};
use super::top::Other;
use crate::domain::zone::ReportZone;

/// Distinct data values a drill-down reads at most; beyond, the answer says `truncated`.
pub const MAX_DISTINCT: u32 = 5000;
/// Keys shown at most, most frequent first.
pub const TOP_KEYS: usize = 20;
/// Values shown per key at most.
pub const TOP_VALUES: usize = 10;
/// A value longer than this is cut (and ends in `…`).
pub const VALUE_CHARS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ValueCount {
    pub value: String,
    pub events: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyCount {
    pub key: String,
    /// Events whose data has this key.
    pub events: u64,
    pub values: Vec<ValueCount>,
    /// Distinct values not shown.
    pub other_values: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FeatureData {
    /// Events with an object as data (among those read).
    pub events: u64,
    pub keys: Vec<KeyCount>,
    /// Keys not shown.
    pub other_keys: u64,
}

/// A value as shown: strings without quotes, other JSON as written; cut to [`VALUE_CHARS`].
fn shown(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > VALUE_CHARS {
        let cut: String = text.chars().take(VALUE_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Events per distinct data text, added up over `parts` (days, sites), the `limit` most frequent
/// (on a tie, in text order): the texts [`summarize`] reads.
pub fn merge_texts(
    parts: impl IntoIterator<Item = (String, u64)>,
    limit: usize,
) -> Vec<(String, u64)> {
    let mut by_text: HashMap<String, u64> = HashMap::new();
    for (text, events) in parts {
        *by_text.entry(text).or_default() += events;
    }
    let (texts, _) = top(
        by_text.into_iter().map(|(t, n)| (t, n, ())).collect(),
        limit,
    );
    texts.into_iter().map(|(t, n, ())| (t, n)).collect()
}

fn top<T>(mut items: Vec<(String, u64, T)>, n: usize) -> (Vec<(String, u64, T)>, u64) {
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let rest = items.len().saturating_sub(n) as u64;
    items.truncate(n);
    (items, rest)
}

/// Counts keys and values over (data text, events) pairs; data that is not a JSON object is
/// left out.
pub fn summarize(rows: &[(String, u64)]) -> FeatureData {
    let mut events = 0;
    let mut keys: HashMap<String, (u64, HashMap<String, u64>)> = HashMap::new();
    for (text, count) in rows {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        events += count;
        for (key, value) in &object {
            let entry = keys.entry(shown(&Value::from(key.as_str()))).or_default();
            entry.0 += count;
            *entry.1.entry(shown(value)).or_default() += count;
        }
    }
    let (shown_keys, other_keys) = top(
        keys.into_iter().map(|(k, (n, v))| (k, n, v)).collect(),
        TOP_KEYS,
    );
    let keys = shown_keys
        .into_iter()
        .map(|(key, events, values)| {
            let (values, other_values) = top(
                values.into_iter().map(|(v, n)| (v, n, ())).collect(),
                TOP_VALUES,
            );
            KeyCount {
                key,
                events,
                values: values
                    .into_iter()
                    .map(|(value, events, ())| ValueCount { value, events })
                    .collect(),
                other_values,
            }
        })
        .collect();
    FeatureData {
        events,
        keys,
        other_keys,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureDataAnswer {
    #[serde(flatten)]
    pub span: Span,
    /// When the stored summaries these figures are read from were last brought up to date
    /// (UTC): every stats range route reads summaries only, refreshed every
    /// `summary_refresh_secs`; activity after this time is not in the figures yet. Null before
    /// the first refresh.
    pub summaries_as_of: Option<DateTime<Utc>>,
    pub feature: String,
    /// More distinct data values than a drill-down reads: the counts are of the most frequent.
    pub truncated: bool,
    #[serde(flatten)]
    pub data: FeatureData,
    /// The feature's events with data whose texts were not read (beyond the most frequent).
    pub other: Other,
}

impl FeatureDataAnswer {
    /// The answer of feature `name`'s texts read (at most `limit`, the most frequent) and its
    /// events with data (every text).
    pub fn of(
        range: &DateRange,
        name: String,
        texts: &[(String, u64)],
        events: u64,
        limit: u32,
        zone: ReportZone,
    ) -> Self {
        let read: u64 = texts.iter().map(|(_, n)| n).sum();
        FeatureDataAnswer {
            span: Span::of(range, zone),
            summaries_as_of: None,
            truncated: texts.len() as u32 >= limit || read < events,
            data: summarize(texts),
            feature: name,
            other: Other::of(events, read),
        }
    }
}

/// A (key, value) of the CSV table (the columns in the order the export has always had).
#[derive(Serialize)]
struct Row<'a> {
    events: u64,
    key: Text<'a>,
    value: Text<'a>,
}

impl Table for FeatureDataAnswer {
    /// The feature (the route's last path segment, `/features/{name}`).
    fn file_name(&self) -> &str {
        &self.feature
    }

    fn span(&self) -> Option<&Span> {
        Some(&self.span)
    }

    fn csv(&self) -> String {
        csv::write(
            &["events", "key", "value"],
            self.data.keys.iter().flat_map(|k| {
                k.values.iter().map(|v| Row {
                    events: v.events,
                    key: Text(&k.key),
                    value: Text(&v.value),
                })
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_one_line_per_key_and_value() {
        let day = "2026-11-27".parse().unwrap();
        let texts = [
            (r#"{"target": "link"}"#.to_string(), 3),
            (r#"{"target": "@file, \"x\""}"#.to_string(), 1),
        ];
        let answer = FeatureDataAnswer::of(
            &DateRange { from: day, to: day },
            "daily".into(),
            &texts,
            4,
            10,
            ReportZone::UTC,
        );
        assert_eq!(
            answer.file_name(),
            "daily",
            "a feature named like a route is still its data"
        );
        assert_eq!(
            answer.csv(),
            "events,key,value\r\n3,target,link\r\n1,target,\"'@file, \"\"x\"\"\"\r\n"
        );
    }

    #[test]
    fn keys_and_values_are_counted_by_events() {
        let rows = vec![
            (r#"{"source": "toolbar", "lines": 10}"#.to_string(), 3),
            (r#"{"source": "keyboard"}"#.to_string(), 1),
            (r#"{"source": "toolbar", "lines": 12}"#.to_string(), 2),
            ("\"not an object\"".to_string(), 5),
        ];
        let data = summarize(&rows);
        assert_eq!(data.events, 6, "the string is left out");
        assert_eq!(data.keys[0].key, "source");
        assert_eq!(data.keys[0].events, 6);
        assert_eq!(
            data.keys[0].values,
            vec![
                ValueCount {
                    value: "toolbar".into(),
                    events: 5
                },
                ValueCount {
                    value: "keyboard".into(),
                    events: 1
                },
            ]
        );
        assert_eq!(
            (data.keys[1].key.as_str(), data.keys[1].events),
            ("lines", 5)
        );
        assert_eq!(
            data.keys[1].values[0],
            ValueCount {
                value: "10".into(),
                events: 3
            }
        );
    }

    #[test]
    fn everything_is_bounded() {
        let rows: Vec<(String, u64)> = (0..30)
            .map(|i| (format!(r#"{{"k{i}": "{}", "v": {i}}}"#, "x".repeat(300)), 1))
            .collect();
        let data = summarize(&rows);
        assert_eq!((data.keys.len(), data.other_keys), (TOP_KEYS, 11));
        let v = data.keys.iter().find(|k| k.key == "v").unwrap();
        assert_eq!((v.values.len(), v.other_values), (TOP_VALUES, 20));
        let long = &data.keys.iter().find(|k| k.key != "v").unwrap().values[0].value;
        assert_eq!(
            long.chars().count(),
            VALUE_CHARS + 1,
            "cut, with an ellipsis"
        );
    }

    #[test]
    fn texts_add_up_over_days_and_the_most_frequent_are_kept() {
        let t = |text: &str, n| (text.to_string(), n);
        let merged = merge_texts(
            vec![t("a", 1), t("b", 2), t("a", 2), t("c", 3), t("d", 1)],
            3,
        );
        assert_eq!(
            merged,
            vec![t("a", 3), t("c", 3), t("b", 2)],
            "ties in text order"
        );
    }
}

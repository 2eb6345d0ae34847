//! CSV export (`?format=csv` on every stats route): the table of a route's JSON answer, one row
//! per day, feature, session, error, site or client value; nested objects become `a.b` columns.
//! Hand-written (RFC 4180 quoting is a few lines; no CSV crate is in the tree). Text cells that a
//! spreadsheet would run as a formula get a leading `'` ([`is_formula`]).

use serde_json::{Map, Value};

/// The rows of a route's answer.
fn rows(route: &str, body: &Value) -> Vec<Map<String, Value>> {
    let list = |key: &str| -> Vec<Map<String, Value>> {
        body[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_object().cloned())
                    .collect()
            })
            .unwrap_or_default()
    };
    match route {
        "daily" => list("days"),
        "features" => list("features"),
        "sessions" => list("sessions"),
        "errors" => list("errors"),
        "live" => list("sites"),
        "clients" => ["browsers", "os", "devices"]
            .into_iter()
            .flat_map(|dimension| {
                list(dimension).into_iter().map(move |mut row| {
                    row.insert("dimension".into(), Value::from(dimension));
                    row
                })
            })
            .collect(),
        // A feature's data: one row per (key, value).
        _ if body["keys"].is_array() => list("keys")
            .into_iter()
            .flat_map(|key| {
                let name = key.get("key").cloned().unwrap_or(Value::Null);
                let values = key
                    .get("values")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                values.into_iter().filter_map(move |v| {
                    let mut row = v.as_object().cloned()?;
                    row.insert("key".into(), name.clone());
                    Some(row)
                })
            })
            .collect(),
        // One row of totals (the histogram stays in the JSON).
        _ => body.as_object().cloned().into_iter().collect(),
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, inner, out);
            }
        }
        Value::Array(_) => {}
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// OWASP's CSV injection rule: `=`, `+`, `-` or `@` first, also behind leading whitespace
/// (LibreOffice Calc skips it and runs the formula), or a tab or carriage return first.
fn is_formula(text: &str) -> bool {
    text.starts_with(['\t', '\r']) || text.trim_start().starts_with(['=', '+', '-', '@'])
}

fn cell(value: &Value) -> String {
    let text = match value {
        Value::Null => return String::new(),
        Value::String(s) if is_formula(s) => format!("'{s}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The CSV text of a route's answer: a header of every column (in order of first appearance),
/// then one line per row, CRLF line ends (RFC 4180).
pub fn to_csv(route: &str, body: &Value) -> String {
    let flat: Vec<Vec<(String, Value)>> = rows(route, body)
        .into_iter()
        .map(|row| {
            let mut out = Vec::new();
            flatten("", &Value::Object(row), &mut out);
            out
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for (name, _) in row {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let mut text = columns
        .iter()
        .map(|c| cell(&Value::from(c.as_str())))
        .collect::<Vec<_>>()
        .join(",");
    text.push_str("\r\n");
    for row in &flat {
        let line: Vec<String> = columns
            .iter()
            .map(|c| {
                row.iter()
                    .find(|(n, _)| n == c)
                    .map_or(String::new(), |(_, v)| cell(v))
            })
            .collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn daily_is_one_line_per_day() {
        let body = json!({"from": "2026-11-27", "days": [
            {"date": "2026-11-27", "sessions": 3, "success_rate": 0.75},
            {"date": "2026-11-28", "sessions": 1, "success_rate": null}]});
        assert_eq!(
            to_csv("daily", &body),
            "date,sessions,success_rate\r\n2026-11-27,3,0.75\r\n2026-11-28,1,\r\n"
        );
    }

    #[test]
    fn nested_objects_flatten_and_clients_name_their_dimension() {
        let live = json!({"sites": [{"site": "ide", "sessions": 1, "programs_5m": {"runs": 2, "errors": 1}}]});
        assert_eq!(
            to_csv("live", &live),
            "programs_5m.errors,programs_5m.runs,sessions,site\r\n1,2,1,ide\r\n"
        );
        let clients = json!({"browsers": [{"name": "Firefox", "sessions": 4}], "os": [{"name": "Linux", "sessions": 4}], "devices": []});
        assert_eq!(
            to_csv("clients", &clients),
            "dimension,name,sessions\r\nbrowsers,Firefox,4\r\nos,Linux,4\r\n"
        );
    }

    #[test]
    fn feature_data_is_one_line_per_key_and_value() {
        let body = json!({"keys": [{"key": "target", "events": 4,
            "values": [{"value": "link", "events": 3}, {"value": "file", "events": 1}]}]});
        assert_eq!(
            to_csv("share", &body),
            "events,key,value\r\n3,target,link\r\n1,target,file\r\n"
        );
    }

    /// OWASP's rule: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return, or with
    /// any of the first four behind leading whitespace (LibreOffice Calc skips it and runs the
    /// formula), gets a leading `'`.
    #[test]
    fn formulas_behind_whitespace_tab_or_cr_are_defused() {
        for live in [
            " =HYPERLINK(1)",
            "\t=1+1",
            "\r=1+1",
            "\n+1",
            "  @SUM(A1)",
            "\u{a0}-2",
            "\tplain text after a tab",
            "\rplain text after a CR",
        ] {
            let shown = cell(&Value::from(live));
            assert!(
                shown.trim_start_matches('"').starts_with('\''),
                "{live:?} became {shown:?}"
            );
        }
        for harmless in ["a = b", "HYPERLINK", " plain", "", "x-1"] {
            let shown = cell(&Value::from(harmless));
            assert!(!shown.contains('\''), "{harmless:?} became {shown:?}");
        }
    }

    #[test]
    fn text_is_quoted_and_formulas_are_defused() {
        let body =
            json!({"errors": [{"error": "?SYNTAX, ERROR \"x\"", "example": "=HYPERLINK(1)"}]});
        assert_eq!(
            to_csv("errors", &body),
            "error,example\r\n\"?SYNTAX, ERROR \"\"x\"\"\",'=HYPERLINK(1)\r\n"
        );
    }
}

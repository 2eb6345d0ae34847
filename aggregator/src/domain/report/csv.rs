//! CSV export (`?format=csv` on every stats route): each report's answer gives its typed rows
//! ([`Table`]: one per day, feature, session, error, site, client value or data value), written
//! here by the `csv` crate (RFC 4180 quoting, CRLF line ends) under a header that is there even
//! when there are no rows. Text cells that a spreadsheet would run as a formula get a leading `'`
//! ([`Text`]).

use serde::{Serialize, Serializer};

use super::dates::Span;

/// A report's answer as a table.
pub trait Table {
    /// What the file is named after (`usage-<name>[-<from>-<to>].csv`): the route's last path
    /// segment.
    fn file_name(&self) -> &str;
    /// The days the table covers, if the report has a range.
    fn span(&self) -> Option<&Span>;
    /// The table as CSV text.
    fn csv(&self) -> String;
}

/// OWASP's CSV injection rule: `=`, `+`, `-` or `@` first, also behind leading whitespace
/// (LibreOffice Calc skips it and runs the formula), or a tab or carriage return first.
pub fn is_formula(text: &str) -> bool {
    text.starts_with(['\t', '\r']) || text.trim_start().starts_with(['=', '+', '-', '@'])
}

/// A text cell: written as it is, or behind a `'` if a spreadsheet would run it ([`is_formula`]).
/// Numbers, dates and times are never formulas, so only text a client sent is a `Text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text<'a>(pub &'a str);

impl Serialize for Text<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if is_formula(self.0) {
            serializer.collect_str(&format_args!("'{}", self.0))
        } else {
            serializer.serialize_str(self.0)
        }
    }
}

/// The CSV text of `rows` under the header `columns` (the rows' fields, in their order).
pub fn write<R: Serialize>(columns: &[&str], rows: impl IntoIterator<Item = R>) -> String {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Into memory, of flat rows of numbers and text: no write can fail (the tests write each
    // report's rows).
    out.write_record(columns)
        .expect("a header writes to memory");
    for row in rows {
        out.serialize(row).expect("a flat row writes to memory");
    }
    let bytes = out.into_inner().expect("memory takes every byte");
    String::from_utf8(bytes).expect("rows of UTF-8 text are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row<'a> {
        name: Text<'a>,
        count: u64,
        rate: Option<f64>,
        note: Option<Text<'a>>,
    }

    const COLUMNS: [&str; 4] = ["name", "count", "rate", "note"];

    fn one(name: &str, note: Option<&str>) -> String {
        let row = Row {
            name: Text(name),
            count: 3,
            rate: Some(0.75),
            note: note.map(Text),
        };
        let text = write(&COLUMNS, [row]);
        text.strip_prefix("name,count,rate,note\r\n")
            .expect("the header first")
            .to_string()
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
            let shown = one(live, None);
            assert!(
                shown.trim_start_matches('"').starts_with('\''),
                "{live:?} became {shown:?}"
            );
        }
        for harmless in ["a = b", "HYPERLINK", " plain", "x-1"] {
            let shown = one(harmless, None);
            assert!(!shown.contains('\''), "{harmless:?} became {shown:?}");
        }
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        assert_eq!(
            one("?SYNTAX, ERROR \"x\"", Some("=HYPERLINK(1)")),
            "\"?SYNTAX, ERROR \"\"x\"\"\",3,0.75,'=HYPERLINK(1)\r\n"
        );
        assert_eq!(
            one("two\nlines", Some("cr\rhere")),
            "\"two\nlines\",3,0.75,\"cr\rhere\"\r\n"
        );
        assert_eq!(
            one("-1, a \"formula\"\r\n", None),
            "\"'-1, a \"\"formula\"\"\r\n\",3,0.75,\r\n",
            "defused, then quoted"
        );
        assert_eq!(
            one("plain", None),
            "plain,3,0.75,\r\n",
            "none: an empty cell"
        );
    }

    #[test]
    fn no_rows_is_the_header_alone() {
        assert_eq!(
            write(&COLUMNS, Vec::<Row<'_>>::new()),
            "name,count,rate,note\r\n"
        );
    }
}

//! Values written into the text of a statement. A flush's statements have a different number
//! of rows each time, so as prepared statements each one would be prepared anew (a round trip,
//! and one parameter definition per value to read back): the profile showed that preparing cost
//! more than everything else in the aggregator. Literals are safe under any `sql_mode`: a string
//! holding a quote, a backslash or a NUL goes as hex, the rest between quotes as it is.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::domain::event::Id128;
use crate::store::datetime_text::push_datetime;

pub trait Literal {
    fn write_to(&self, sql: &mut String);
}

impl Literal for str {
    fn write_to(&self, sql: &mut String) {
        if self.bytes().any(|b| matches!(b, b'\'' | b'\\' | 0)) {
            sql.push_str("_utf8mb4 X'");
            push_hex(sql, self.as_bytes());
            sql.push('\'');
        } else {
            sql.push('\'');
            sql.push_str(self);
            sql.push('\'');
        }
    }
}

impl Literal for std::sync::Arc<str> {
    fn write_to(&self, sql: &mut String) {
        (**self).write_to(sql);
    }
}

impl Literal for String {
    fn write_to(&self, sql: &mut String) {
        self.as_str().write_to(sql);
    }
}

impl<T: Literal + ?Sized> Literal for &T {
    fn write_to(&self, sql: &mut String) {
        (**self).write_to(sql);
    }
}

impl<T: Literal> Literal for Option<T> {
    fn write_to(&self, sql: &mut String) {
        match self {
            Some(value) => value.write_to(sql),
            None => sql.push_str("NULL"),
        }
    }
}

macro_rules! number {
    ($($t:ty),*) => {$(
        impl Literal for $t {
            fn write_to(&self, sql: &mut String) {
                let _ = write!(sql, "{self}");
            }
        }
    )*};
}
number!(u32, u64, i64);

impl Literal for bool {
    fn write_to(&self, sql: &mut String) {
        sql.push(if *self { '1' } else { '0' });
    }
}

impl Literal for DateTime<Utc> {
    /// 'YYYY-MM-DD hh:mm:ss.ffffff' (`store::datetime_text`, digit by digit).
    fn write_to(&self, sql: &mut String) {
        sql.push('\'');
        push_datetime(sql, self.naive_utc(), 6);
        sql.push('\'');
    }
}

/// `DEFAULT`: the column's default, for a value the statement must name but will not store
/// (the identity of a session row that already exists, which its upsert leaves as it is).
pub struct ColumnDefault;

impl Literal for ColumnDefault {
    fn write_to(&self, sql: &mut String) {
        sql.push_str("DEFAULT");
    }
}

impl Literal for Id128 {
    fn write_to(&self, sql: &mut String) {
        sql.push_str("X'");
        push_hex(sql, &self.0);
        sql.push('\'');
    }
}

fn push_hex(sql: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        sql.push(char::from(DIGITS[usize::from(b >> 4)]));
        sql.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// Appends `(v1,v2,...)`, preceded by a comma unless it is the first row of the statement.
pub fn push_row(sql: &mut String, first: bool, values: &[&dyn Literal]) {
    if !first {
        sql.push(',');
    }
    sql.push('(');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        value.write_to(sql);
    }
    sql.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sql(value: &dyn Literal) -> String {
        let mut out = String::new();
        value.write_to(&mut out);
        out
    }

    #[test]
    fn strings_that_could_escape_their_quotes_go_as_hex() {
        assert_eq!(
            sql(&"Firefox 128 / Linux".to_string()),
            "'Firefox 128 / Linux'"
        );
        assert_eq!(sql(&"it's".to_string()), "_utf8mb4 X'69742773'");
        assert_eq!(sql(&"a\\".to_string()), "_utf8mb4 X'615c'");
        assert_eq!(sql(&"\0".to_string()), "_utf8mb4 X'00'");
        assert_eq!(sql(&"«é»".to_string()), "'«é»'");
        assert_eq!(sql(&None::<String>), "NULL");
    }

    #[test]
    fn other_values() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 5, 7).unwrap()
            + chrono::Duration::microseconds(123_456);
        assert_eq!(sql(&at), "'2026-11-28 09:05:07.123456'");
        let early = Utc.with_ymd_and_hms(987, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(sql(&early), "'0987-01-02 03:04:05.000000'");
        assert_eq!(sql(&Id128([0xab; 16])), format!("X'{}'", "ab".repeat(16)));
        assert_eq!(sql(&Some(7u64)), "7");
        assert_eq!(sql(&true), "1");
        assert_eq!(sql(&-5i64), "-5");
        assert_eq!(sql(&ColumnDefault), "DEFAULT");
        let mut row = String::new();
        push_row(&mut row, true, &[&1u32, &None::<u64>]);
        push_row(&mut row, false, &[&2u32, &Some(3u64)]);
        assert_eq!(row, "(1,NULL),(2,3)");
    }
}

//! Hand-written JSON output: string escaping, integers and hex ids. The client links no serde and no
//! `core::fmt` (each costs kilobytes of wasm), so everything it sends is written by these helpers.

use alloc::string::String;

/// Appends `s` as a JSON string literal (with quotes), escaping per RFC 8259. U+2028/U+2029 are
/// escaped too so the output is also safe to embed in a JS source or HTML script block. Works on
/// bytes and copies the runs between escapes: everything escaped is ASCII except U+2028/U+2029
/// (E2 80 A8/A9), so no UTF-8 decoding or encoding code is needed.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        // (bytes taken, code point) of what needs escaping at `i`.
        let (len, code) = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'"' | b'\\' | 0..=0x1f, ..) => (1, u32::from(b)),
            (0xe2, Some(0x80), Some(&c @ (0xa8 | 0xa9))) => (3, 0x2000 | u32::from(c & 0x3f)),
            _ => {
                i += 1;
                continue;
            }
        };
        // `start` and `i` sit on ASCII bytes or a lead byte: always char boundaries.
        out.push_str(s.get(start..i).unwrap_or(""));
        match code {
            0x22 => out.push_str("\\\""),
            0x5c => out.push_str("\\\\"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            _ => {
                out.push_str("\\u");
                push_hex_u16(out, code);
            }
        }
        i += len;
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

fn push_hex_u16(out: &mut String, v: u32) {
    for shift in [12u32, 8, 4, 0] {
        push_ascii(out, hex_digit(((v >> shift) & 0xf) as u8));
    }
}

/// Pushes an ASCII byte. The mask tells the compiler it is one byte of UTF-8, which spares the
/// general `char` encoder.
pub fn push_ascii(out: &mut String, b: u8) {
    out.push(char::from(b & 0x7f));
}

fn hex_digit(n: u8) -> u8 {
    // Lowercase: the aggregator requires ids as lowercase hex.
    if n < 10 {
        b'0' + n
    } else {
        b'a' + n - 10
    }
}

/// Appends a non-negative integer in decimal: the leading digits first, by recursion (at most 20
/// deep). Division by the constant 10 and no indexing: nothing here can panic, so core's panic
/// formatting is not linked.
pub fn push_u64(out: &mut String, v: u64) {
    if v >= 10 {
        push_u64(out, v / 10);
    }
    push_ascii(out, b'0' + (v % 10) as u8);
}

/// Splits `s` at each `sep` byte (ASCII). Used instead of `str::split`, whose internal bounds
/// checks pull core's panic formatting into the wasm.
pub fn fields(s: &str, sep: u8) -> Fields<'_> {
    Fields { rest: Some(s), sep }
}

pub struct Fields<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match s.bytes().position(|b| b == self.sep) {
            Some(i) => {
                self.rest = s.get(i + 1..);
                s.get(..i)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

/// Appends `"key":` (keys are trusted constants, so they are not escaped).
pub fn push_key(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// Lowercase hex of 16 bytes: the 32-digit form the API wants for session and event ids.
pub fn hex_id(bytes: &[u8; 16]) -> String {
    let mut s = String::with_capacity(32);
    for b in bytes {
        push_ascii(&mut s, hex_digit(b >> 4));
        push_ascii(&mut s, hex_digit(b & 0xf));
    }
    s
}

/// True for exactly 32 lowercase hex digits.
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Parses a decimal integer (used for the storage formats); `None` on anything else.
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// Converts a JS number (ms or a count) to an integer in `0..=max`: NaN and negatives become 0,
/// fractions round to nearest, so garbage from the host page can never produce invalid JSON.
pub fn clamp_u64(v: f64, max: u64) -> u64 {
    if v.is_nan() || v <= 0.0 {
        return 0;
    }
    let r = (v + 0.5) as u64; // `as` saturates, never panics
    if r > max {
        max
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut o = String::new();
        push_str(&mut o, s);
        o
    }

    #[test]
    fn escapes_quotes_backslashes_and_controls() {
        assert_eq!(esc("plain"), "\"plain\"");
        assert_eq!(esc("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(esc("l1\nl2\r\t"), "\"l1\\nl2\\r\\t\"");
        assert_eq!(
            esc("\u{0}\u{1f}\u{8}\u{c}"),
            "\"\\u0000\\u001f\\u0008\\u000c\""
        );
        assert_eq!(esc("x\u{2028}y\u{2029}"), "\"x\\u2028y\\u2029\"");
    }

    #[test]
    fn keeps_non_ascii_as_utf8() {
        assert_eq!(esc("für 🚀 ™"), "\"für 🚀 ™\"");
        assert_eq!(esc("\u{7f}"), "\"\u{7f}\"");
        assert_eq!(esc(""), "\"\"");
    }

    #[test]
    fn writes_integers() {
        for (v, s) in [
            (0u64, "0"),
            (7, "7"),
            (10, "10"),
            (1_000_000_007, "1000000007"),
        ] {
            let mut o = String::new();
            push_u64(&mut o, v);
            assert_eq!(o, s);
        }
        let mut o = String::new();
        push_u64(&mut o, u64::MAX);
        assert_eq!(o, "18446744073709551615");
    }

    #[test]
    fn hex_ids_round_trip_the_validator() {
        let id = hex_id(&[
            0x00, 0x01, 0xab, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x9c,
        ]);
        assert_eq!(id, "0001abff00000000000000000000109c");
        assert!(is_hex_id(&id));
        assert!(!is_hex_id("0001ABFF00000000000000000000109c"));
        assert!(!is_hex_id("abc"));
        assert!(!is_hex_id("0001abff000000000000000000001g9c"));
    }

    #[test]
    fn splits_fields() {
        let v: alloc::vec::Vec<&str> = fields("a\tbc\t\td", b'\t').collect();
        assert_eq!(v, ["a", "bc", "", "d"]);
        assert_eq!(fields("", b' ').collect::<alloc::vec::Vec<_>>(), [""]);
        assert_eq!(
            fields("x ", b' ').collect::<alloc::vec::Vec<_>>(),
            ["x", ""]
        );
    }

    #[test]
    fn parses_only_plain_decimals() {
        assert_eq!(parse_u64("0"), Some(0));
        assert_eq!(parse_u64("123456"), Some(123456));
        assert_eq!(parse_u64(""), None);
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_u64("1.5"), None);
        assert_eq!(parse_u64("99999999999999999999"), None);
    }

    #[test]
    fn clamps_js_numbers() {
        assert_eq!(clamp_u64(f64::NAN, 10), 0);
        assert_eq!(clamp_u64(-5.0, 10), 0);
        assert_eq!(clamp_u64(2.4, 10), 2);
        assert_eq!(clamp_u64(2.5, 10), 3);
        assert_eq!(clamp_u64(1e300, 10), 10);
        assert_eq!(clamp_u64(f64::INFINITY, 1_000_000_000), 1_000_000_000);
    }
}

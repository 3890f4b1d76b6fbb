//! The canonical JSON a record hash is computed over, the hash itself (SHA-256, hex),
//! and the `acceptedAt` text form.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical JSON of a value: object keys sorted by Unicode code point (byte-wise
/// UTF-8) at every level, no whitespace, strings and numbers as serde_json renders them.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::with_capacity(128);
    write_canonical(v, &mut out);
    out
}

/// `recordHash`: lowercase hex SHA-256 (64 characters) of [`canonical_json`].
pub fn canonical_hash(v: &Value) -> String {
    hex(&sha256(canonical_json(v).as_bytes()))
}

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `2026-04-12T15:30:45.123Z`, the documented form of `acceptedAt`.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Number's Display is serde_json's own rendering; writing to a String cannot fail.
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Already sorted unless serde_json's preserve_order feature is on somewhere.
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string exactly as serde_json writes it: `"` `\` and control characters
/// escaped (short forms where JSON has them, else `\u00xx`), everything else as is.
fn write_str(s: &str, out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(DIGITS[(b >> 4) as usize] as char);
                out.push(DIGITS[(b & 15) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é€😀\u{2028}");
        let mut ours = String::new();
        write_str(&all, &mut ours);
        assert_eq!(ours, serde_json::to_string(&all).unwrap());
    }

    #[test]
    fn canonical_form_sorts_keys_at_every_level() {
        let v = json!({"b": 1, "a": {"d": [3, {"z": null, "y": 1.5}], "c": "x"}, "A": true});
        assert_eq!(
            canonical_json(&v),
            r#"{"A":true,"a":{"c":"x","d":[3,{"y":1.5,"z":null}]},"b":1}"#
        );
        assert_eq!(canonical_hash(&v).len(), 64);
    }
}

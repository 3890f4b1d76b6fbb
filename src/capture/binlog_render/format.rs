//! Value formatting of the binlog renderer, as the servers print values inside the
//! triggers' JSON_OBJECT: integers from signed or unsigned images, BIT, fractional
//! seconds, TIMESTAMP in UTC, latin1 (cp1252) bytes, JSON string escapes, base64.

use mysql_async::Value;

pub(super) fn integer(v: &Value, unsigned: bool, bits: u32) -> Option<String> {
    // The image's signedness depends on the table map's metadata, which not every
    // server sends: reinterpret the stored bits by the column's declared type.
    let raw: u64 = match v {
        Value::UInt(u) => *u,
        Value::Int(i) => *i as u64,
        _ => return None,
    };
    let mask: u64 = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let raw = raw & mask;
    Some(if unsigned {
        raw.to_string()
    } else if bits < 64 && raw >= 1u64 << (bits - 1) {
        (raw as i64 - (1i64 << bits)).to_string()
    } else {
        (raw as i64).to_string()
    })
}

pub(super) fn bits(v: &Value) -> Option<u64> {
    let Value::Bytes(b) = v else { return None };
    if b.len() > 8 {
        return None;
    }
    Some(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
}

/// `.ffffff` cut to `precision` digits (empty for 0).
pub(super) fn fraction(us: u32, precision: u32) -> String {
    if precision == 0 {
        return String::new();
    }
    let p = precision.min(6) as usize;
    format!(".{:06}", us)[..=p].to_string()
}

pub(super) fn timestamp_parts(v: &Value) -> Option<(i64, u32)> {
    match v {
        Value::Int(s) => Some((*s, 0)),
        Value::Bytes(b) => {
            let s = std::str::from_utf8(b).ok()?;
            match s.split_once('.') {
                Some((sec, us)) => Some((sec.parse().ok()?, us.parse().ok()?)),
                None => Some((s.parse().ok()?, 0)),
            }
        }
        _ => None,
    }
}

/// TIMESTAMP text in UTC (`render::timestamp`): `…T…Z` in payloads, `… …` in record ids;
/// the zero TIMESTAMP keeps its zero form.
pub(super) fn timestamp(sec: i64, us: u32, precision: u32, payload: bool) -> Option<String> {
    let (sep, suffix) = if payload { ("T", "Z") } else { (" ", "") };
    if sec == 0 && us == 0 {
        return Some(format!(
            "0000-00-00{sep}00:00:00{}{suffix}",
            fraction(0, precision)
        ));
    }
    let t = chrono::DateTime::from_timestamp(sec, 0)?.naive_utc();
    Some(format!(
        "{}{sep}{}{}{suffix}",
        t.format("%Y-%m-%d"),
        t.format("%H:%M:%S"),
        fraction(us, precision)
    ))
}

/// MySQL's and MariaDB's `latin1` is Windows-1252 (with the five undefined bytes kept as
/// the C1 controls of the same number).
pub(super) fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}',
        '\u{017D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
        '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}',
        '\u{9D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => char::from(b),
    }
}

/// A JSON string as MySQL's and MariaDB's JSON_OBJECT write it.
pub(super) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_string(&mut out, s);
    out
}

pub(super) fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Standard base64 with padding, no line breaks (`TO_BASE64` without its newlines).
pub(super) fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

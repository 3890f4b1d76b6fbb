//! Reading single values of a bulk answer: status-like values (codes, words,
//! booleans), counts, string and id fields, an item's error text, the JSON kind of a
//! value for notes.

use serde_json::{Map, Value};

const ACCEPTED_WORDS: &[&str] = &["accepted", "created", "ok", "success", "duplicate"];
const REJECTED_WORDS: &[&str] = &["rejected", "invalid", "failed", "error"];

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

pub(super) fn count_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What a status-like value says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Signal {
    None,
    Accepted,
    Rejected(Option<u16>, Option<String>),
    RetryLater(u16),
    Unauthorised(u16),
    Unknown(String),
}

pub(super) fn status_signal(v: &Value) -> Signal {
    let code = match v {
        Value::Null => return Signal::None,
        Value::Number(n) => n.as_u64(),
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Signal::None;
            }
            match t.parse::<u64>() {
                Ok(c) => Some(c),
                Err(_) => {
                    let word = t.to_ascii_lowercase();
                    if ACCEPTED_WORDS.contains(&word.as_str()) {
                        return Signal::Accepted;
                    }
                    if REJECTED_WORDS.contains(&word.as_str()) {
                        return Signal::Rejected(None, Some(t.to_string()));
                    }
                    return Signal::Unknown(format!("status {t:?}"));
                }
            }
        }
        Value::Bool(true) => return Signal::Accepted,
        Value::Bool(false) => return Signal::Rejected(None, Some("false".into())),
        other => return Signal::Unknown(format!("status is a {}", kind(other))),
    };
    match code.and_then(|c| u16::try_from(c).ok()) {
        Some(200..=299) => Signal::Accepted,
        Some(c @ (401 | 403)) => Signal::Unauthorised(c),
        Some(c @ (408 | 429 | 500..=599)) => Signal::RetryLater(c),
        Some(c @ 400..=499) => Signal::Rejected(Some(c), None),
        Some(c) => Signal::Unknown(format!("status {c}")),
        None => Signal::Unknown(format!("status {v}")),
    }
}

pub(super) fn str_field<'v>(m: &'v Map<String, Value>, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| m.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A record id as text: ids may come back as numbers.
pub(super) fn id_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn index_field(m: &Map<String, Value>) -> Option<u64> {
    match m.get("index")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The item's error text, from `error` (text or an object with a message), `message`,
/// `detail`, `reason` or `errors`.
pub(super) fn item_message(m: &Map<String, Value>) -> Option<String> {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Object(o) => ["message", "error", "detail", "reason"]
                .iter()
                .find_map(|k| o.get(*k).and_then(text)),
            Value::Array(a) => {
                let parts: Vec<String> = a.iter().filter_map(text).collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            _ => None,
        }
    }
    ["error", "errors", "message", "detail", "reason"]
        .iter()
        .find_map(|k| m.get(*k).and_then(text))
        .map(|s| cut(&s))
}

pub(super) fn has_error(m: &Map<String, Value>) -> bool {
    match m.get("error").or_else(|| m.get("errors")) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

pub(super) fn cut(s: &str) -> String {
    const MAX: usize = 500;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

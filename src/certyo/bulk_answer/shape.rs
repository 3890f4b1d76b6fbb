//! Where a bulk answer keeps its per-item results, and what an answer without them says
//! about the whole batch (counts, `errors`, `success`, a top-level status).

use serde_json::{Map, Value};

use super::fields::{count_of, cut, kind, status_signal, Signal};

const LIST_KEYS: &[&str] = &["results", "items", "records", "data"];

pub(super) type Found<'v> = (Option<&'v [Value]>, bool, Option<&'v Map<String, Value>>);

/// The item list (if any), whether its items default to rejected (an `errors` list),
/// and the object holding the counts.
pub(super) fn find_list(value: &Value) -> Result<Found<'_>, String> {
    let top = match value {
        Value::Array(items) if items.is_empty() => return Ok((None, false, None)),
        Value::Array(items) => return Ok((Some(items), false, None)),
        Value::Object(m) => m,
        other => return Err(format!("the answer is a JSON {}", kind(other))),
    };
    let mut containers = vec![top];
    if let Some(Value::Object(inner)) = top.get("data") {
        containers.push(inner);
    }
    for c in &containers {
        for key in LIST_KEYS {
            match c.get(*key) {
                Some(Value::Array(items)) if !items.is_empty() => {
                    return Ok((Some(items), false, Some(c)))
                }
                // An empty list is no per-item detail: the counts decide.
                None | Some(Value::Null) | Some(Value::Object(_)) | Some(Value::Array(_)) => {}
                Some(other) => {
                    return Err(format!("`{key}` is a {}, not a list", kind(other)));
                }
            }
        }
    }
    for c in &containers {
        if let Some(Value::Array(errors)) = c.get("errors") {
            if !errors.is_empty() && errors.iter().all(Value::is_object) {
                return Ok((Some(errors), true, Some(c)));
            }
        }
    }
    Ok((None, false, Some(top)))
}

/// Something in an answer without items that says not every record was accepted.
pub(super) fn contradiction(c: &Map<String, Value>, n: usize) -> Option<String> {
    match c.get("accepted") {
        Some(Value::Bool(false)) => return Some("`accepted` is false".into()),
        Some(v) => {
            if let Some(count) = count_of(v) {
                if count < n as u64 {
                    return Some(format!("`accepted` is {count} of {n} records"));
                }
            }
        }
        None => {}
    }
    for key in [
        "rejected",
        "failed",
        "invalid",
        "errorCount",
        "rejectedCount",
    ] {
        if let Some(count) = c.get(key).and_then(count_of) {
            if count > 0 {
                return Some(format!("`{key}` is {count}"));
            }
        }
    }
    match c.get("errors") {
        Some(Value::Array(a)) if !a.is_empty() => return Some("`errors` is not empty".into()),
        Some(Value::Object(o)) if !o.is_empty() => return Some("`errors` is not empty".into()),
        Some(v) if count_of(v).is_some_and(|e| e > 0) => {
            return Some("`errors` is above zero".into())
        }
        _ => {}
    }
    if let Some(Value::String(e)) = c.get("error") {
        if !e.trim().is_empty() {
            return Some(format!("it carries an error: {}", cut(e)));
        }
    }
    for key in ["success", "ok"] {
        if let Some(Value::Bool(false)) = c.get(key) {
            return Some(format!("`{key}` is false"));
        }
    }
    if let Some(status) = c.get("status") {
        match status_signal(status) {
            Signal::None | Signal::Accepted => {}
            _ => return Some(format!("its status is {status}")),
        }
    }
    None
}

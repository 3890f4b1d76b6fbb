//! Reading the answer to `POST /api/v1/records/bulk`, whose shape Certyo does not
//! document (`../shared/certyo-api.md`). A pure function of the records sent and the
//! body received; the client calls it, the worker acts on the verdicts.
//!
//! The one rule: **a record counts as accepted only when the answer proves it.**
//! Anything the answer leaves open is [`Verdict::Uncertain`], and the worker confirms
//! it with a single POST under the same idempotency key (a harmless replay when the
//! bulk did store it) before marking anything.
//!
//! How the body is read, field by field (JSON walked as a `Value`, no rigid struct, so
//! one odd field cannot make the whole answer unreadable):
//! - Per-item results are the first non-empty array found under `results`, `items`,
//!   `records` or `data` (also one level down, inside an object under `data`), or the
//!   body itself when it is an array. An empty list is no per-item detail. An `errors` array is read as items that default to rejected.
//! - An item's verdict: `status` (or `statusCode`/`code`) as a number (2xx accepted,
//!   408/429/5xx retry later, 401/403 credentials, other 4xx rejected) or a string in
//!   any case (`accepted`/`created`/`ok`/`success`/`duplicate` accepted;
//!   `rejected`/`invalid`/`failed`/`error` rejected; anything else uncertain); the
//!   booleans `accepted`, `success`, `ok`; an `error` alone means rejected, a hash
//!   alone accepted. Signals that disagree make the item uncertain.
//! - Hash: `recordHash` or `hash`, kept as given (bare hex or `sha256:…`).
//! - Matching an item to a record: by `idempotencyKey`; else by `recordId` (with
//!   `collection` when given) if exactly one record of the batch has it; else by
//!   `index`. Bare position only when the list has exactly the batch's length and no
//!   item carries a key or an index, nor a `recordId` other than the one at its place.
//!   An item whose identifiers contradict each other or name nothing sent matches
//!   nothing; two items for one record that disagree make it uncertain.
//! - No per-item list at all: every record is accepted (without hash) unless something
//!   contradicts "all accepted": an `accepted` count below the batch size (or `false`),
//!   a `rejected`/`failed`/`invalid` count above zero, a non-empty `errors` list or
//!   `error` text, `success`/`ok` false, or a top-level `status` that is not a success.
//!   A contradiction makes every record uncertain.
//! - Counts next to a list that disagree with what the items say (more rejected than
//!   the items reject, fewer accepted than the items accept) make the accepted verdicts
//!   uncertain: the answer cannot be trusted about which ones.
//! - An empty body is "no per-item detail"; a body that is not JSON makes every record
//!   uncertain.

use serde_json::{Map, Value};

/// What the worker needs to know of each record sent, in batch order.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    pub idempotency_key: &'a str,
    pub record_id: &'a str,
    pub collection: &'a str,
}

/// The fate of one record according to the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The answer proves the record accepted.
    Accepted { hash: Option<String> },
    /// The answer says the record's content was refused. `status` is the item's code
    /// when it gave one; `label` its status text otherwise.
    Rejected {
        status: Option<u16>,
        label: Option<String>,
        message: String,
    },
    /// The item says: try again later (408, 429, 5xx).
    RetryLater { status: u16, message: String },
    /// The item says the credentials were refused (401/403).
    Unauthorised { status: u16, message: String },
    /// Not proven either way: confirm with a single POST before deciding.
    Uncertain { reason: String },
}

/// One verdict per record sent, in batch order, and a note on what made some uncertain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub verdicts: Vec<Verdict>,
    /// Why records are uncertain (for the log); empty when none are.
    pub notes: Vec<String>,
}

impl Reading {
    pub fn uncertain(&self) -> usize {
        self.verdicts
            .iter()
            .filter(|v| matches!(v, Verdict::Uncertain { .. }))
            .count()
    }
}

const LIST_KEYS: &[&str] = &["results", "items", "records", "data"];
const ACCEPTED_WORDS: &[&str] = &["accepted", "created", "ok", "success", "duplicate"];
const REJECTED_WORDS: &[&str] = &["rejected", "invalid", "failed", "error"];

/// Read a 2xx bulk answer `body` for the batch `sent`.
pub fn read(sent: &[Sent<'_>], body: &[u8]) -> Reading {
    let n = sent.len();
    if body.iter().all(u8::is_ascii_whitespace) {
        return all(n, Verdict::Accepted { hash: None }, Vec::new());
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return all_uncertain(n, format!("the answer is not JSON ({e})"));
        }
    };
    let (list, default_rejected, container) = match find_list(&value) {
        Ok(found) => found,
        Err(why) => return all_uncertain(n, why),
    };
    match list {
        None => {
            let contradiction = container.and_then(|c| {
                contradiction(c, n).or_else(|| match c.get("data") {
                    Some(Value::Object(inner)) => contradiction(inner, n),
                    _ => None,
                })
            });
            match contradiction {
                Some(why) => all_uncertain(n, format!("no per-item results and {why}")),
                None => all(n, Verdict::Accepted { hash: None }, Vec::new()),
            }
        }
        Some(items) => read_items(sent, items, default_rejected, container),
    }
}

fn all(n: usize, v: Verdict, notes: Vec<String>) -> Reading {
    Reading {
        verdicts: vec![v; n],
        notes,
    }
}

fn all_uncertain(n: usize, reason: String) -> Reading {
    all(
        n,
        Verdict::Uncertain {
            reason: reason.clone(),
        },
        vec![reason],
    )
}

type Found<'v> = (Option<&'v [Value]>, bool, Option<&'v Map<String, Value>>);

/// The item list (if any), whether its items default to rejected (an `errors` list),
/// and the object holding the counts.
fn find_list(value: &Value) -> Result<Found<'_>, String> {
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

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// Something in an answer without items that says not every record was accepted.
fn contradiction(c: &Map<String, Value>, n: usize) -> Option<String> {
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

fn count_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// What a status-like value says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Signal {
    None,
    Accepted,
    Rejected(Option<u16>, Option<String>),
    RetryLater(u16),
    Unauthorised(u16),
    Unknown(String),
}

fn status_signal(v: &Value) -> Signal {
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

fn str_field<'v>(m: &'v Map<String, Value>, keys: &[&str]) -> Option<&'v str> {
    keys.iter()
        .find_map(|k| m.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A record id as text: ids may come back as numbers.
fn id_field(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn index_field(m: &Map<String, Value>) -> Option<u64> {
    match m.get("index")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The item's error text, from `error` (text or an object with a message), `message`,
/// `detail`, `reason` or `errors`.
fn item_message(m: &Map<String, Value>) -> Option<String> {
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

fn has_error(m: &Map<String, Value>) -> bool {
    match m.get("error").or_else(|| m.get("errors")) {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

fn cut(s: &str) -> String {
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

/// One item's verdict, before matching.
fn item_verdict(m: &Map<String, Value>, default_rejected: bool) -> Verdict {
    let status = ["status", "statusCode", "code"]
        .iter()
        .find_map(|k| m.get(*k))
        .map(status_signal)
        .unwrap_or(Signal::None);
    let mut signals: Vec<Signal> = Vec::new();
    if status != Signal::None {
        signals.push(status);
    }
    for key in ["accepted", "success", "ok"] {
        match m.get(key) {
            Some(Value::Bool(true)) => signals.push(Signal::Accepted),
            Some(Value::Bool(false)) => signals.push(Signal::Rejected(None, None)),
            _ => {}
        }
    }
    let erred = has_error(m);
    let hash = str_field(m, &["recordHash", "hash"]).map(str::to_string);
    if signals.is_empty() {
        if erred || default_rejected {
            signals.push(Signal::Rejected(None, None));
        } else if hash.is_some() {
            signals.push(Signal::Accepted);
        } else {
            return Verdict::Uncertain {
                reason: "an item says neither accepted nor rejected".into(),
            };
        }
    }
    let accepted = signals.contains(&Signal::Accepted);
    let refused = signals.iter().any(|s| *s != Signal::Accepted);
    if accepted && (refused || erred) {
        return Verdict::Uncertain {
            reason: "an item's fields disagree (accepted and not)".into(),
        };
    }
    if accepted {
        return Verdict::Accepted { hash };
    }
    let message = item_message(m).unwrap_or_else(|| "rejected (no message given)".into());
    // The first refusal signal decides; an unknown status beats a guess.
    if let Some(Signal::Unknown(what)) = signals.iter().find(|s| matches!(s, Signal::Unknown(_))) {
        return Verdict::Uncertain {
            reason: format!("an item has an unknown {what}"),
        };
    }
    match signals.into_iter().next() {
        Some(Signal::RetryLater(status)) => Verdict::RetryLater { status, message },
        Some(Signal::Unauthorised(status)) => Verdict::Unauthorised { status, message },
        Some(Signal::Rejected(status, label)) => Verdict::Rejected {
            status,
            label,
            message,
        },
        _ => Verdict::Uncertain {
            reason: "an item could not be read".into(),
        },
    }
}

/// Where an item belongs in the batch.
enum Place {
    At(usize),
    Nowhere(String),
}

fn place(sent: &[Sent<'_>], m: &Map<String, Value>, pos: usize, by_position: bool) -> Place {
    let key = str_field(m, &["idempotencyKey", "idempotency_key"]);
    let record_id = id_field(m, "recordId").or_else(|| id_field(m, "record_id"));
    let collection = str_field(m, &["collection"]);
    let index = index_field(m);
    let fits = |i: usize| {
        record_id.as_deref().is_none_or(|r| sent[i].record_id == r)
            && collection.is_none_or(|c| sent[i].collection == c)
    };
    if let Some(key) = key {
        return match sent.iter().position(|s| s.idempotency_key == key) {
            Some(i) if fits(i) => Place::At(i),
            Some(_) => Place::Nowhere(format!("item for {key:?} names another record id")),
            None => Place::Nowhere(format!("item names a key not sent: {key:?}")),
        };
    }
    if let Some(rid) = &record_id {
        let hits: Vec<usize> = (0..sent.len()).filter(|&i| fits(i)).collect();
        match hits.as_slice() {
            [] => return Place::Nowhere(format!("item names a record id not sent: {rid:?}")),
            [one] => {
                if index.is_some_and(|x| x != *one as u64) {
                    return Place::Nowhere(format!(
                        "item for record id {rid:?} has an index of another record"
                    ));
                }
                return Place::At(*one);
            }
            _ => {} // several records share it: the index must decide
        }
    }
    if let Some(i) = index {
        return match usize::try_from(i).ok().filter(|i| *i < sent.len()) {
            Some(i) if fits(i) => Place::At(i),
            Some(_) => Place::Nowhere("item's index points at another record".into()),
            None => Place::Nowhere(format!("item index {i} is outside the batch")),
        };
    }
    if by_position {
        return Place::At(pos);
    }
    Place::Nowhere("an item carries no key, record id or index".into())
}

fn read_items(
    sent: &[Sent<'_>],
    items: &[Value],
    default_rejected: bool,
    container: Option<&Map<String, Value>>,
) -> Reading {
    let n = sent.len();
    // Bare position only for exactly the batch, in order, with no keys or indexes.
    let by_position = items.len() == n
        && items.iter().enumerate().all(|(pos, it)| {
            it.as_object().is_some_and(|m| {
                str_field(m, &["idempotencyKey", "idempotency_key"]).is_none()
                    && index_field(m).is_none()
                    && id_field(m, "recordId")
                        .or_else(|| id_field(m, "record_id"))
                        .is_none_or(|r| r == sent[pos].record_id)
            })
        });
    let mut slots: Vec<Option<Verdict>> = vec![None; n];
    let mut notes: Vec<String> = Vec::new();
    let mut conflicts = vec![false; n];
    for (pos, item) in items.iter().enumerate() {
        let Some(m) = item.as_object() else {
            note(&mut notes, format!("an item is a {}", kind(item)));
            continue;
        };
        match place(sent, m, pos, by_position) {
            Place::Nowhere(why) => note(&mut notes, why),
            Place::At(i) => {
                let v = item_verdict(m, default_rejected);
                if let Verdict::Uncertain { reason } = &v {
                    note(&mut notes, reason.clone());
                }
                match &slots[i] {
                    Some(prev) if *prev != v => conflicts[i] = true,
                    _ => slots[i] = Some(v),
                }
            }
        }
    }
    let mut verdicts: Vec<Verdict> = Vec::with_capacity(n);
    let mut missing = 0usize;
    for (slot, conflict) in slots.into_iter().zip(conflicts) {
        verdicts.push(match (slot, conflict) {
            (_, true) => {
                note(&mut notes, "two items for one record disagree".into());
                Verdict::Uncertain {
                    reason: "two items for this record disagree".into(),
                }
            }
            (Some(v), false) => v,
            (None, false) => {
                missing += 1;
                Verdict::Uncertain {
                    reason: "the answer has no result for this record".into(),
                }
            }
        });
    }
    if missing > 0 {
        notes.push(format!("{missing} of {n} records have no result"));
    }
    if let Some(why) = container.and_then(|c| counts_disagree(c, &verdicts)) {
        notes.push(why.clone());
        for v in verdicts.iter_mut() {
            if matches!(v, Verdict::Accepted { .. }) {
                *v = Verdict::Uncertain {
                    reason: why.clone(),
                };
            }
        }
    }
    Reading { verdicts, notes }
}

fn note(notes: &mut Vec<String>, why: String) {
    if !notes.contains(&why) && notes.len() < 5 {
        notes.push(why);
    }
}

/// Counts beside the items that the items do not bear out.
fn counts_disagree(c: &Map<String, Value>, verdicts: &[Verdict]) -> Option<String> {
    let accepted = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Accepted { .. }))
        .count() as u64;
    let refused = verdicts
        .iter()
        .filter(|v| !matches!(v, Verdict::Accepted { .. } | Verdict::Uncertain { .. }))
        .count() as u64;
    if let Some(count) = c.get("accepted").and_then(count_of) {
        if count < accepted {
            return Some(format!(
                "the answer counts {count} accepted but its items accept {accepted}"
            ));
        }
    }
    for key in ["rejected", "failed", "invalid"] {
        if let Some(count) = c.get(key).and_then(count_of) {
            if count > refused {
                return Some(format!(
                    "the answer counts {count} {key} but its items refuse {refused}"
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Batch {
        keys: Vec<String>,
        ids: Vec<String>,
    }

    impl Batch {
        fn new(n: usize) -> Batch {
            Batch {
                keys: (0..n).map(|i| format!("queue-{}", 100 + i)).collect(),
                ids: (0..n).map(|i| format!("{}", i + 1)).collect(),
            }
        }
        fn sent(&self) -> Vec<Sent<'_>> {
            self.keys
                .iter()
                .zip(&self.ids)
                .map(|(k, r)| Sent {
                    idempotency_key: k,
                    record_id: r,
                    collection: "products",
                })
                .collect()
        }
        fn read(&self, body: Value) -> Reading {
            read(&self.sent(), body.to_string().as_bytes())
        }
    }

    fn accepted(h: Option<&str>) -> Verdict {
        Verdict::Accepted {
            hash: h.map(str::to_string),
        }
    }

    fn is_uncertain(v: &Verdict) -> bool {
        matches!(v, Verdict::Uncertain { .. })
    }

    fn is_rejected_with(v: &Verdict, text: &str) -> bool {
        matches!(v, Verdict::Rejected { message, .. } if message.contains(text))
    }

    #[test]
    fn no_detail_and_nothing_against_it_accepts_all_without_hashes() {
        let b = Batch::new(3);
        for body in [
            json!({}),
            json!({"accepted": 3}),
            json!({"accepted": 3, "rejected": 0, "errors": []}),
            json!({"status": "accepted"}),
            json!({"success": true}),
        ] {
            let r = b.read(body.clone());
            assert_eq!(r.verdicts, vec![accepted(None); 3], "{body}");
            assert_eq!(r.uncertain(), 0);
        }
        assert_eq!(read(&b.sent(), b"").verdicts, vec![accepted(None); 3]);
    }

    #[test]
    fn counts_that_contradict_all_accepted_make_every_record_uncertain() {
        let b = Batch::new(3);
        for body in [
            json!({"accepted": 2}),
            json!({"accepted": 3, "rejected": 1}),
            json!({"failed": 1}),
            json!({"errors": ["records[1]: bad"]}),
            json!({"error": "partly refused"}),
            json!({"success": false}),
            json!({"status": "partial"}),
            json!({"accepted": false}),
            json!({"accepted": 1, "results": []}),
        ] {
            let r = b.read(body.clone());
            assert!(r.verdicts.iter().all(is_uncertain), "{body}: {r:?}");
            assert!(!r.notes.is_empty());
        }
    }

    #[test]
    fn not_json_is_uncertain_and_a_scalar_too() {
        let b = Batch::new(2);
        assert!(read(&b.sent(), b"<html>ok</html>")
            .verdicts
            .iter()
            .all(is_uncertain));
        assert!(b.read(json!("ok")).verdicts.iter().all(is_uncertain));
        assert!(b
            .read(json!({"results": "all fine"}))
            .verdicts
            .iter()
            .all(is_uncertain));
    }

    #[test]
    fn string_statuses_in_any_case_are_read() {
        let b = Batch::new(5);
        let r = b.read(json!({"results": [
            {"idempotencyKey": "queue-100", "status": "ACCEPTED", "recordHash": "sha256:aa"},
            {"idempotencyKey": "queue-101", "status": "Rejected", "error": "price must be a number"},
            {"idempotencyKey": "queue-102", "status": "duplicate", "hash": "bb"},
            {"idempotencyKey": "queue-103", "status": "invalid", "message": "recordId is required"},
            {"idempotencyKey": "queue-104", "status": "queued"},
        ]}));
        assert_eq!(r.verdicts[0], accepted(Some("sha256:aa")));
        assert!(is_rejected_with(&r.verdicts[1], "price must be a number"));
        assert_eq!(r.verdicts[2], accepted(Some("bb")));
        assert!(is_rejected_with(&r.verdicts[3], "recordId is required"));
        assert!(is_uncertain(&r.verdicts[4]), "unknown word → uncertain");
    }

    #[test]
    fn numeric_statuses_and_booleans() {
        let b = Batch::new(6);
        let r = b.read(json!({"items": [
            {"index": 0, "status": 202, "recordHash": "h0"},
            {"index": 1, "status": 400, "error": {"message": "bad field"}},
            {"index": 2, "status": 503},
            {"index": 3, "accepted": true},
            {"index": 4, "success": false, "reason": "too large"},
            {"index": 5, "status": "201"},
        ]}));
        assert_eq!(r.verdicts[0], accepted(Some("h0")));
        assert!(
            matches!(&r.verdicts[1], Verdict::Rejected { status: Some(400), message, .. } if message == "bad field")
        );
        assert!(matches!(
            r.verdicts[2],
            Verdict::RetryLater { status: 503, .. }
        ));
        assert_eq!(r.verdicts[3], accepted(None));
        assert!(is_rejected_with(&r.verdicts[4], "too large"));
        assert_eq!(r.verdicts[5], accepted(None));
    }

    #[test]
    fn a_bare_array_in_batch_order_is_matched_by_position() {
        let b = Batch::new(3);
        let r = b.read(json!([
            {"status": "accepted", "recordHash": "a"},
            {"status": "rejected", "error": "nope"},
            {"status": "accepted", "recordHash": "c"},
        ]));
        assert_eq!(r.verdicts[0], accepted(Some("a")));
        assert!(is_rejected_with(&r.verdicts[1], "nope"));
        assert_eq!(r.verdicts[2], accepted(Some("c")));
    }

    #[test]
    fn out_of_order_items_are_matched_by_record_id_never_by_position() {
        let b = Batch::new(4);
        let r = b.read(json!({"results": [
            {"recordId": "4", "status": "accepted", "recordHash": "h4"},
            {"recordId": 3, "status": "rejected", "error": "bad 3"},
            {"recordId": "2", "status": "accepted", "recordHash": "h2"},
            {"recordId": "1", "status": "accepted", "recordHash": "h1"},
        ]}));
        assert_eq!(r.verdicts[0], accepted(Some("h1")));
        assert_eq!(r.verdicts[1], accepted(Some("h2")));
        assert!(is_rejected_with(&r.verdicts[2], "bad 3"));
        assert_eq!(r.verdicts[3], accepted(Some("h4")));
    }

    #[test]
    fn only_the_rejected_listed_leaves_the_rest_uncertain() {
        let b = Batch::new(4);
        let r = b.read(json!({"accepted": 3, "rejected": 1, "results": [
            {"idempotencyKey": "queue-102", "status": "rejected", "error": "bad"},
        ]}));
        assert!(is_uncertain(&r.verdicts[0]));
        assert!(is_uncertain(&r.verdicts[1]));
        assert!(is_rejected_with(&r.verdicts[2], "bad"));
        assert!(is_uncertain(&r.verdicts[3]));
        assert_eq!(r.uncertain(), 3);
    }

    #[test]
    fn an_errors_list_of_objects_rejects_what_it_names_and_leaves_the_rest_uncertain() {
        let b = Batch::new(3);
        let r = b.read(json!({"accepted": 2, "errors": [{"index": 1, "message": "bad sku"}]}));
        assert!(is_uncertain(&r.verdicts[0]));
        assert!(is_rejected_with(&r.verdicts[1], "bad sku"));
        assert!(is_uncertain(&r.verdicts[2]));
    }

    #[test]
    fn a_shorter_list_without_identifiers_is_not_matched_by_position() {
        let b = Batch::new(3);
        let r = b.read(json!([{"status": "accepted"}, {"status": "accepted"}]));
        assert!(r.verdicts.iter().all(is_uncertain), "{r:?}");
    }

    #[test]
    fn a_record_id_shared_by_two_records_falls_back_to_the_index() {
        let keys = ["queue-1".to_string(), "queue-2".to_string()];
        let sent = [
            Sent {
                idempotency_key: &keys[0],
                record_id: "7",
                collection: "products",
            },
            Sent {
                idempotency_key: &keys[1],
                record_id: "7",
                collection: "orders",
            },
        ];
        let body = json!({"results": [
            {"recordId": "7", "index": 1, "status": "rejected", "error": "bad order"},
            {"recordId": "7", "status": "accepted"},
        ]});
        let r = read(&sent, body.to_string().as_bytes());
        assert!(
            is_uncertain(&r.verdicts[0]),
            "ambiguous without index: {r:?}"
        );
        assert!(is_rejected_with(&r.verdicts[1], "bad order"));
        let by_collection = json!({"results": [
            {"recordId": "7", "collection": "orders", "status": "accepted", "hash": "o"},
            {"recordId": "7", "collection": "products", "status": "accepted", "hash": "p"},
        ]});
        let r = read(&sent, by_collection.to_string().as_bytes());
        assert_eq!(r.verdicts, vec![accepted(Some("p")), accepted(Some("o"))]);
    }

    #[test]
    fn identifiers_that_contradict_match_nothing() {
        let b = Batch::new(2);
        let r = b.read(json!({"results": [
            {"idempotencyKey": "queue-100", "recordId": "2", "status": "accepted"},
            {"idempotencyKey": "queue-999", "status": "accepted"},
        ]}));
        assert!(r.verdicts.iter().all(is_uncertain), "{r:?}");
    }

    #[test]
    fn items_that_disagree_about_one_record_make_it_uncertain() {
        let b = Batch::new(1);
        let r = b.read(json!({"results": [
            {"idempotencyKey": "queue-100", "status": "accepted"},
            {"idempotencyKey": "queue-100", "status": "rejected"},
        ]}));
        assert!(is_uncertain(&r.verdicts[0]));
        let r = b.read(json!({"results": [
            {"idempotencyKey": "queue-100", "status": 202, "error": "but also this"},
        ]}));
        assert!(is_uncertain(&r.verdicts[0]));
    }

    #[test]
    fn counts_beside_items_that_do_not_add_up_distrust_the_accepted() {
        let b = Batch::new(2);
        let r = b.read(json!({"rejected": 1, "results": [
            {"index": 0, "status": 202},
            {"index": 1, "status": 202},
        ]}));
        assert!(r.verdicts.iter().all(is_uncertain), "{r:?}");
    }

    #[test]
    fn nested_data_and_the_emulator_default_shape() {
        let b = Batch::new(2);
        let r = b.read(json!({"data": {"records": [
            {"idempotencyKey": "queue-101", "status": "ok"},
            {"idempotencyKey": "queue-100", "status": "error", "detail": "no"},
        ]}}));
        assert!(is_rejected_with(&r.verdicts[0], "no"));
        assert_eq!(r.verdicts[1], accepted(None));
        let r = b.read(json!({"accepted": 1, "rejected": 1, "results": [
            {"index": 0, "recordId": "1", "idempotencyKey": "queue-100", "status": 202, "recordHash": "x", "idempotencyReplayed": false},
            {"index": 1, "recordId": "2", "idempotencyKey": "queue-101", "status": 400, "error": "records[1]: recordId is required"},
        ]}));
        assert_eq!(r.verdicts[0], accepted(Some("x")));
        assert!(is_rejected_with(&r.verdicts[1], "recordId is required"));
        assert_eq!(r.uncertain(), 0);
    }
}

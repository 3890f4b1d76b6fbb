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
//!
//! Layout: this module holds the types and [`read`]; `shape` finds the item list and
//! reads an answer without one, `fields` reads single JSON values (statuses, ids,
//! messages), `verdict` one item's verdict, `matching` which record each item is about.

mod fields;
mod matching;
mod shape;
#[cfg(test)]
mod testing;
mod verdict;

use serde_json::Value;

use matching::read_items;
use shape::{contradiction, find_list};

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

#[cfg(test)]
mod tests {
    use super::testing::{accepted, is_uncertain, Batch};
    use super::*;
    use serde_json::json;

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
}

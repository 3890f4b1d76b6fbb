//! Matching the items of a bulk answer to the records sent (by idempotency key, record
//! id, index, or bare position), and the verdicts that follow: missing, conflicting or
//! contradicted by the counts beside the list means uncertain.

use serde_json::{Map, Value};

use super::fields::{count_of, id_field, index_field, kind, str_field};
use super::verdict::item_verdict;
use super::{Reading, Sent, Verdict};

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

pub(super) fn read_items(
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
    use super::super::testing::{accepted, is_rejected_with, is_uncertain, Batch};
    use super::super::{read, Sent};
    use serde_json::json;

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

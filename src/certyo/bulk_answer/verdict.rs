//! One item's verdict, from its status, flags, error and hash, before it is matched to
//! a record.

use serde_json::{Map, Value};

use super::fields::{has_error, item_message, status_signal, str_field, Signal};
use super::Verdict;

/// One item's verdict, before matching.
pub(super) fn item_verdict(m: &Map<String, Value>, default_rejected: bool) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::super::testing::{accepted, is_rejected_with, is_uncertain, Batch};
    use super::super::Verdict;
    use serde_json::json;

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
}

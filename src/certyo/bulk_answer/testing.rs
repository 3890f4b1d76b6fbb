//! Test helpers of the bulk-answer reader: a batch of records sent and the verdict
//! checks the tests of every part share.

use serde_json::Value;

use super::{read, Reading, Sent, Verdict};

pub(super) struct Batch {
    keys: Vec<String>,
    ids: Vec<String>,
}

impl Batch {
    pub(super) fn new(n: usize) -> Batch {
        Batch {
            keys: (0..n).map(|i| format!("queue-{}", 100 + i)).collect(),
            ids: (0..n).map(|i| format!("{}", i + 1)).collect(),
        }
    }
    pub(super) fn sent(&self) -> Vec<Sent<'_>> {
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
    pub(super) fn read(&self, body: Value) -> Reading {
        read(&self.sent(), body.to_string().as_bytes())
    }
}

pub(super) fn accepted(h: Option<&str>) -> Verdict {
    Verdict::Accepted {
        hash: h.map(str::to_string),
    }
}

pub(super) fn is_uncertain(v: &Verdict) -> bool {
    matches!(v, Verdict::Uncertain { .. })
}

pub(super) fn is_rejected_with(v: &Verdict, text: &str) -> bool {
    matches!(v, Verdict::Rejected { message, .. } if message.contains(text))
}

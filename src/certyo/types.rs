//! Wire types of the Certyo API (`../shared/certyo-api.md`). Field names are the
//! API's camelCase. Responses are decoded leniently: unknown fields are ignored and
//! every documented-as-unknown field is optional.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub const RECORDS_PATH: &str = "/api/v1/records";
pub const BULK_PATH: &str = "/api/v1/records/bulk";
pub const VERIFY_PATH: &str = "/api/v1/verify/record";
pub const SNAPSHOTS_PATH: &str = "/api/v1/snapshots";
/// The most records one bulk call may carry.
pub const BULK_MAX: usize = 1000;

/// One record as sent to `POST /api/v1/records` or inside a bulk call.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub tenant_id: String,
    pub database: String,
    pub collection: String,
    pub record_id: String,
    /// Sent as it was read from the queue, already checked to be a JSON object.
    pub record_payload: Box<RawValue>,
    pub operation_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_timestamp: Option<String>,
    pub idempotency_key: String,
}

/// Body of `POST /api/v1/records/bulk`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest<'a> {
    pub tenant_id: &'a str,
    pub records: &'a [Record],
}

/// The 202 answer to a single record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestResponse {
    #[serde(default)]
    pub record_id: Option<String>,
    #[serde(default)]
    pub record_hash: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub accepted_at: Option<String>,
    #[serde(default)]
    pub idempotency_replayed: Option<bool>,
}

/// The emulator's default bulk answer (`items` mode). The real answer is undocumented,
/// so the client never decodes into this type: it reads whatever arrives field by field
/// (`certyo::bulk_answer`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkResponse {
    #[serde(default)]
    pub accepted: Option<usize>,
    #[serde(default)]
    pub rejected: Option<usize>,
    #[serde(default)]
    pub results: Option<Vec<BulkItemResult>>,
}

/// One record's result inside a bulk answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkItemResult {
    #[serde(default)]
    pub index: Option<usize>,
    #[serde(default)]
    pub record_id: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// HTTP-like status of this item: 202 accepted, 4xx rejected, 429/5xx retry.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub record_hash: Option<String>,
    #[serde(default)]
    pub idempotency_replayed: Option<bool>,
    #[serde(default)]
    pub error: Option<String>,
}

/// Body of `POST /api/v1/verify/record`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest {
    pub tenant_id: String,
    pub database: String,
    pub collection: String,
    pub record_id: String,
}

/// Body of `POST /api/v1/verify/record` in the documented variant that also sends the
/// content to check: `payload` is the record's payload as it is now, and the answer
/// says whether that content is the anchored version (`certyo-queue audit`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyContentRequest<'a> {
    #[serde(flatten)]
    pub record: &'a VerifyRequest,
    pub payload: &'a RawValue,
}

/// The answer of `POST /api/v1/verify/record`; every field optional (pages disagree).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyResponse {
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub anchored_on_chain: Option<bool>,
    #[serde(default)]
    pub verification_status: Option<String>,
    #[serde(default)]
    pub reason_category: Option<String>,
    #[serde(default)]
    pub snapshot_hash: Option<String>,
    #[serde(default)]
    pub record_hash: Option<String>,
}

impl VerifyResponse {
    /// Anchored: `verified` and either `anchoredOnChain` or `verificationStatus == "pass"`.
    pub fn is_anchored(&self) -> bool {
        self.verified == Some(true)
            && (self.anchored_on_chain == Some(true)
                || self
                    .verification_status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("pass")))
    }
}

/// The JSON error body the emulator sends (the real one is undocumented; the client
/// reads `error`, `message` or `detail`, whichever is there, else the raw text).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_needs_verified_and_one_of_the_two_signals() {
        let v = |verified, chain, status: Option<&str>| VerifyResponse {
            verified,
            anchored_on_chain: chain,
            verification_status: status.map(str::to_string),
            ..Default::default()
        };
        assert!(v(Some(true), Some(true), None).is_anchored());
        assert!(v(Some(true), None, Some("pass")).is_anchored());
        assert!(!v(Some(true), Some(false), None).is_anchored());
        assert!(!v(Some(false), Some(true), Some("pass")).is_anchored());
        assert!(!v(None, None, None).is_anchored());
    }
}

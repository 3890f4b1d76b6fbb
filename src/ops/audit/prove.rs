//! `audit`'s proof: ask Certyo, with `POST /api/v1/verify/record` carrying the row's
//! current payload (the documented variant with `payload`), whether that content is the
//! version it anchored. The local pass finds suspects without any call; the proof
//! confirms them, and (`--prove N|all`) checks rows that matched locally too, which
//! catches a row restored together with an older version's tracking columns.
//!
//! Reading the answer: anchored when `verified` and (`anchoredOnChain` or
//! `verificationStatus: "pass"`), as for verification; "differs" when
//! `verificationStatus` is `fail` or `reasonCategory` names a mismatch; otherwise the
//! content is Certyo's latest version, not anchored yet ("pending"). A 404 means Certyo
//! does not know the record. Failed calls are counted, never guessed.

use futures_util::stream::{self, StreamExt};
use serde_json::value::RawValue;

use super::{AlteredRow, ProofCounts};
use crate::certyo::{ApiError, CertyoClient, VerifyContentRequest, VerifyRequest, VerifyResponse};

/// What Certyo said of one row's current content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Anchored,
    Pending,
    Differs,
    Unknown,
    Failed,
}

impl Verdict {
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Anchored => "this content is anchored",
            Verdict::Pending => "this content is the latest version, not anchored yet",
            Verdict::Differs => "this content is not the version Certyo holds",
            Verdict::Unknown => "record unknown to Certyo",
            Verdict::Failed => "the verify call failed",
        }
    }

    pub fn count(self, counts: &mut ProofCounts) {
        counts.asked += 1;
        match self {
            Verdict::Anchored => counts.anchored += 1,
            Verdict::Pending => counts.pending += 1,
            Verdict::Differs => counts.differs += 1,
            Verdict::Unknown => counts.unknown += 1,
            Verdict::Failed => counts.failed += 1,
        }
    }
}

/// Reads a verify answer about content.
pub fn verdict(answer: &VerifyResponse) -> Verdict {
    let says = |s: &Option<String>, what: &str| {
        s.as_deref()
            .is_some_and(|v| v.to_ascii_lowercase().contains(what))
    };
    if answer.is_anchored() {
        Verdict::Anchored
    } else if says(&answer.verification_status, "fail") || says(&answer.reason_category, "mismatch")
    {
        Verdict::Differs
    } else {
        Verdict::Pending
    }
}

/// Asks Certyo about rows, `concurrency` calls at a time.
pub struct Prover {
    pub client: CertyoClient,
    pub concurrency: usize,
}

impl Prover {
    /// One verdict per row, in order. 401/403 and a misdirected base URL end the
    /// proof with the error (every other call would fail the same way).
    pub async fn ask(&self, table: &str, rows: &[AlteredRow]) -> Result<Vec<Verdict>, ApiError> {
        let calls: Vec<_> = rows.iter().map(|r| self.ask_one(table, r)).collect();
        let answers: Vec<Result<Verdict, ApiError>> = stream::iter(calls)
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        answers.into_iter().collect()
    }

    async fn ask_one(&self, table: &str, row: &AlteredRow) -> Result<Verdict, ApiError> {
        let Ok(payload) = RawValue::from_string(row.payload.clone()) else {
            return Ok(Verdict::Failed);
        };
        let api = self.client.config();
        let record = VerifyRequest {
            tenant_id: api.tenant_id.clone(),
            database: api.database.clone(),
            collection: table.to_string(),
            record_id: row.record_id.clone(),
        };
        let req = VerifyContentRequest {
            record: &record,
            payload: &payload,
        };
        match self.client.verify_content(&req).await {
            Ok(answer) => Ok(verdict(&answer)),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(Verdict::Unknown),
            Err(e @ (ApiError::Auth { .. } | ApiError::Misdirected { .. })) => Err(e),
            Err(e) => {
                tracing::warn!(event = "audit.verify_failed", table, record_id = %row.record_id, error = %e, "verify call failed");
                Ok(Verdict::Failed)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_verdicts() {
        let v = |verified, chain, status: &str, reason: &str| VerifyResponse {
            verified: Some(verified),
            anchored_on_chain: Some(chain),
            verification_status: Some(status.into()),
            reason_category: Some(reason.into()),
            ..Default::default()
        };
        assert_eq!(
            verdict(&v(true, true, "pass", "verified_anchored")),
            Verdict::Anchored
        );
        assert_eq!(
            verdict(&v(false, true, "fail", "hash_mismatch")),
            Verdict::Differs
        );
        assert_eq!(
            verdict(&v(false, false, "pending", "pending_anchor")),
            Verdict::Pending
        );
    }
}

//! The outcome of each record of a bulk call, from the bulk answer's verdicts
//! (`certyo::bulk_answer`): accepted with its hash, failed with an [`ApiError`],
//! rejected by a word, or uncertain.

use super::super::bulk_answer::Verdict;
use super::ApiError;

/// A record the API accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub record_hash: Option<String>,
}

/// The fate of one record of a bulk call, as far as the answer proves it.
#[derive(Debug)]
pub enum BulkItemOutcome {
    Accepted(Ingested),
    /// The item carried an HTTP-like status: rejected, retry later or credentials.
    Failed(ApiError),
    /// Refused by a status word or flag (no code): the text for the dead letter.
    Rejected(String),
    /// The answer does not prove this record's fate: confirm it with a single POST
    /// under the same idempotency key. The text says why.
    Uncertain(String),
}

/// What a bulk call's answer says, one outcome per record in batch order.
#[derive(Debug)]
pub struct BulkAnswer {
    pub outcomes: Vec<BulkItemOutcome>,
    /// Why some outcomes are uncertain (for the log).
    pub notes: Vec<String>,
}

pub(super) fn outcome_of(v: Verdict) -> BulkItemOutcome {
    match v {
        Verdict::Accepted { hash } => BulkItemOutcome::Accepted(Ingested {
            record_hash: hash.filter(|h| !h.is_empty()),
        }),
        Verdict::Rejected {
            status: Some(status),
            message,
            ..
        } => BulkItemOutcome::Failed(ApiError::Rejected { status, message }),
        Verdict::Rejected {
            status: None,
            label,
            message,
        } => BulkItemOutcome::Rejected(match label {
            Some(l) => format!("rejected ({l}): {message}"),
            None => format!("rejected: {message}"),
        }),
        Verdict::RetryLater { status: 429, .. } => {
            BulkItemOutcome::Failed(ApiError::RateLimited { retry_after: None })
        }
        Verdict::RetryLater { status, message } => BulkItemOutcome::Failed(ApiError::Server {
            status,
            correlation_id: None,
            message,
        }),
        Verdict::Unauthorised { status, message } => {
            BulkItemOutcome::Failed(ApiError::Auth { status, message })
        }
        Verdict::Uncertain { reason } => BulkItemOutcome::Uncertain(reason),
    }
}

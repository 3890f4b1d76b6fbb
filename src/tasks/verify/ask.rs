//! Asking Certyo about a table's candidate rows, `concurrency` calls at a time: a 429
//! pauses dispatching, three retryable errors in a row or refused credentials end the
//! round ([`RoundEnd`]).

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::candidates::Candidate;
use super::Verifier;
use crate::certyo::{ApiError, Retry, VerifyRequest, VerifyResponse};

impl Verifier {
    /// Ask Certyo about each candidate, `concurrency` at a time. Returns the answers
    /// (by candidate index) and why dispatching ended.
    pub(super) async fn ask(
        &self,
        collection: &str,
        candidates: &[Candidate],
        stop: &CancellationToken,
    ) -> (Vec<(usize, Result<VerifyResponse, ApiError>)>, RoundEnd) {
        let mut in_flight = JoinSet::new();
        let mut answers = Vec::with_capacity(candidates.len());
        let mut next = 0;
        let mut end = RoundEnd::Done;
        let mut pause_until: Option<tokio::time::Instant> = None;
        let mut retryable_in_a_row = 0u32;
        loop {
            let dispatching = matches!(end, RoundEnd::Done) && !stop.is_cancelled();
            if dispatching && next < candidates.len() && in_flight.len() < self.cfg.concurrency {
                if let Some(t) = pause_until.take() {
                    tokio::select! {
                        _ = stop.cancelled() => continue,
                        _ = tokio::time::sleep_until(t) => {}
                    }
                }
                let req = VerifyRequest {
                    tenant_id: self.client.config().tenant_id.clone(),
                    database: self.client.config().database.clone(),
                    collection: collection.to_string(),
                    record_id: candidates[next].record_id.clone(),
                };
                let client = self.client.clone();
                let i = next;
                in_flight.spawn(async move { (i, client.verify(&req).await) });
                next += 1;
                continue;
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            let Ok((i, answer)) = joined else {
                continue; // a panicked request task: the row stays for the next round
            };
            match &answer {
                Err(e) => match e.retry() {
                    Retry::AfterConfigFix => {
                        if matches!(end, RoundEnd::Done | RoundEnd::Struggling) {
                            in_flight.abort_all();
                            end = RoundEnd::Auth(clone_auth(e));
                        }
                    }
                    Retry::Later(after) => {
                        retryable_in_a_row += 1;
                        tracing::warn!(event = "verify.retry", error = %e, "verify.retry: Certyo answered with a retryable error");
                        if let ApiError::RateLimited { .. } = e {
                            let wait = after.unwrap_or(self.cfg.rate_limit_pause);
                            pause_until = Some(
                                tokio::time::Instant::now() + wait.min(Duration::from_secs(60)),
                            );
                        }
                        if retryable_in_a_row >= 3 && matches!(end, RoundEnd::Done) {
                            end = RoundEnd::Struggling;
                        }
                    }
                    Retry::Never => retryable_in_a_row = 0,
                },
                Ok(_) => retryable_in_a_row = 0,
            }
            answers.push((i, answer));
        }
        (answers, end)
    }
}

pub(super) enum RoundEnd {
    Done,
    Struggling,
    Auth(ApiError),
}

fn clone_auth(e: &ApiError) -> ApiError {
    match e {
        ApiError::Auth { status, message } => ApiError::Auth {
            status: *status,
            message: message.clone(),
        },
        other => ApiError::Transport(other.to_string()),
    }
}

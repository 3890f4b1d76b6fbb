//! The loop of one leader job: hold or take its leader lock every leader check, run
//! the job while leading (at once on becoming leader, then every interval), export
//! `certyo_leader{task}`, keep the job's counters ([`JobStats`]), and give the lock up
//! on stop.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::TaskError;
use crate::leader::Leader;

/// Counters of one job in this process, for tests and status output.
#[derive(Debug, Default)]
pub struct JobStats {
    runs: AtomicU64,
    errors: AtomicU64,
    leading: AtomicBool,
}

impl JobStats {
    /// Passes this process has run (successful or not).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }
    /// Passes that ended with an error.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::SeqCst)
    }
    /// Whether this process holds the job's leader lock.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }
}

/// The loop of one job: every `check`, hold or try to take the lock; while leading, run
/// the job when due (at once on becoming leader, then every `interval`).
pub(super) async fn lead<F, Fut>(
    job: &'static str,
    mut leader: Leader,
    interval: Duration,
    check: Duration,
    stats: &JobStats,
    stop: CancellationToken,
    mut run_once: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    let mut next_run: Option<Instant> = None;
    while !stop.is_cancelled() {
        let was_leading = leader.is_leader();
        let leading = match leader.ensure().await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(event = "leader.error", lock = %leader.name(), error = %e, "leader.error: lock connection lost; retrying");
                false
            }
        };
        stats.leading.store(leading, Ordering::SeqCst);
        metrics::gauge!(crate::telemetry::LEADER, "task" => job).set(if leading {
            1.0
        } else {
            0.0
        });
        if leading != was_leading {
            if leading {
                tracing::info!(event = "leader.elected", lock = %leader.name(), "leader.elected: this process now runs the job");
            } else {
                tracing::info!(event = "leader.follower", lock = %leader.name(), "leader.follower: another process runs the job");
            }
        }
        if !leading {
            next_run = None;
        } else if next_run.is_none_or(|t| Instant::now() >= t) {
            let result = run_once().await;
            stats.runs.fetch_add(1, Ordering::SeqCst);
            if let Err(e) = result {
                stats.errors.fetch_add(1, Ordering::SeqCst);
                tracing::error!(event = "scheduler.job_failed", lock = %leader.name(), error = %e, "scheduled job failed; next try at the next interval");
            }
            next_run = Some(Instant::now() + interval);
        }
        let wait = match next_run {
            Some(t) => check.min(t.saturating_duration_since(Instant::now())),
            None => check,
        };
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    leader.release().await;
    stats.leading.store(false, Ordering::SeqCst);
    metrics::gauge!(crate::telemetry::LEADER, "task" => job).set(0.0);
}

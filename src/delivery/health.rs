//! What the delivery pool knows about its own health, for the log and for `/readyz`.
//!
//! - A **failure streak**: calls that got no usable answer (5xx, 429, timeouts,
//!   refused connections, TLS failures) in a row. While it lasts, one WARN line at most
//!   every [`WARN_EVERY`] names the latest cause; the first answer ends it (INFO).
//! - **Misdirected**: the base URL leads somewhere that is not the ingestion API (a
//!   redirect, or 404/405 on our own paths). Set by the worker, cleared by the next
//!   delivery; `/readyz` is 503 while set.
//! - **Stalled**: rows have been waiting and no delivery succeeded for `stall_after`
//!   (counted from the later of the last delivery and the moment rows started to
//!   wait). Rows wait from the first claim that finds some, or the first backlog count
//!   above zero; they stop waiting when the backlog count (the progress loop's) is
//!   zero, or when a claim finds nothing claimable while calls are not failing (rows
//!   in a backoff after an old failure do not make a healthy pool unready). During a
//!   failure streak an empty claim proves nothing: the rows are in their retry backoff.
//!
//! Every method is cheap and never blocks on I/O; the mutexes guard a few fields.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::certyo::ApiError;

/// Longest silence between two WARN lines of one failure streak.
pub const WARN_EVERY: Duration = Duration::from_secs(30);
/// Failures in a row before the first WARN line (one blip is not trouble).
pub const WARN_AFTER: u64 = 3;

#[derive(Debug)]
pub struct DeliveryHealth {
    stall_after: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last_delivery: Instant,
    /// Since when rows have been waiting; `None` while the backlog is empty.
    waiting_since: Option<Instant>,
    misdirected: Option<String>,
    failures: u64,
    failing_since: Option<Instant>,
    last_warn: Option<Instant>,
}

impl DeliveryHealth {
    pub fn new(stall_after: Duration) -> DeliveryHealth {
        DeliveryHealth {
            stall_after,
            state: Mutex::new(State {
                last_delivery: Instant::now(),
                waiting_since: None,
                misdirected: None,
                failures: 0,
                failing_since: None,
                last_warn: None,
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// Rows were delivered: progress, and the base URL evidently works.
    pub fn delivered(&self) {
        let was = self.with(|s| {
            s.last_delivery = Instant::now();
            s.misdirected.take()
        });
        if was.is_some() {
            tracing::info!(
                event = "worker.misdirected_recovered",
                "Certyo accepts deliveries at the base URL again"
            );
        }
    }

    /// A claim found rows to send: rows are waiting.
    pub fn rows_waiting(&self) {
        self.with(|s| {
            s.waiting_since.get_or_insert_with(Instant::now);
        });
    }

    /// A claim found nothing claimable now. Unless calls are failing, nothing waits
    /// that this pool could deliver.
    pub fn idle(&self) {
        self.with(|s| {
            if s.failures == 0 {
                s.waiting_since = None;
            }
        });
    }

    /// The backlog as last counted (undelivered, not dead).
    pub fn backlog(&self, pending: i64) {
        self.with(|s| {
            if pending > 0 {
                s.waiting_since.get_or_insert_with(Instant::now);
            } else {
                s.waiting_since = None;
            }
        });
    }

    /// A call got an HTTP answer that is not a transient failure.
    pub fn answered(&self) {
        let ended = self.with(|s| {
            let streak = (s.failures, s.failing_since, s.last_warn.is_some());
            s.failures = 0;
            s.failing_since = None;
            s.last_warn = None;
            streak
        });
        if let (n, Some(since), true) = ended {
            tracing::info!(
                event = "worker.api_recovered",
                failures = n,
                failing_for = ?Duration::from_secs(since.elapsed().as_secs()),
                "Certyo answers again"
            );
        }
    }

    /// A call failed transiently; WARN now and then while the streak lasts.
    pub fn failed(&self, e: &ApiError) {
        let now = Instant::now();
        let warn = self.with(|s| {
            s.failures += 1;
            let since = *s.failing_since.get_or_insert(now);
            let due = s.failures >= WARN_AFTER
                && s.last_warn
                    .is_none_or(|w| now.duration_since(w) >= WARN_EVERY);
            if due {
                s.last_warn = Some(now);
            }
            due.then_some((s.failures, since))
        });
        if let Some((n, since)) = warn {
            tracing::warn!(
                event = "worker.api_failing",
                failures = n,
                failing_for = ?Duration::from_secs(since.elapsed().as_secs()),
                cause = %e,
                "calls to Certyo keep failing; rows are retried with backoff"
            );
        }
    }

    /// The base URL does not lead to the ingestion API. Returns true the first time
    /// (the caller logs loudly then).
    pub fn misdirected(&self, reason: &str) -> bool {
        self.with(|s| s.misdirected.replace(reason.to_string()).is_none())
    }

    pub fn is_misdirected(&self) -> bool {
        self.with(|s| s.misdirected.is_some())
    }

    /// `Err(reason)` when `/readyz` should say 503.
    pub fn readiness(&self) -> Result<(), String> {
        self.with(|s| {
            if let Some(why) = &s.misdirected {
                return Err(format!("certyo: {why}"));
            }
            let Some(since) = s.waiting_since else {
                return Ok(());
            };
            let quiet = since.max(s.last_delivery).elapsed();
            if quiet >= self.stall_after {
                return Err(format!(
                    "delivery: nothing delivered for {}s while rows wait (--stall-after {:?})",
                    quiet.as_secs(),
                    self.stall_after
                ));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stalls_only_without_progress_and_misdirection_clears_on_delivery() {
        let h = DeliveryHealth::new(Duration::from_millis(30));
        std::thread::sleep(Duration::from_millis(40));
        assert!(h.readiness().is_ok(), "nothing waits, nothing is stalled");
        h.rows_waiting();
        assert!(
            h.readiness().is_ok(),
            "counted from when rows began to wait"
        );
        std::thread::sleep(Duration::from_millis(40));
        assert!(h.readiness().unwrap_err().contains("nothing delivered"));
        h.delivered();
        assert!(h.readiness().is_ok());
        std::thread::sleep(Duration::from_millis(40));
        assert!(h.readiness().is_err(), "still waiting, no delivery since");
        h.backlog(0);
        assert!(h.readiness().is_ok());

        // During a failure streak an empty claim does not clear the wait.
        h.rows_waiting();
        let e = ApiError::Transport("down".into());
        h.failed(&e);
        h.idle();
        std::thread::sleep(Duration::from_millis(40));
        assert!(
            h.readiness().is_err(),
            "rows in backoff behind failing calls"
        );
        h.answered();
        h.idle();
        assert!(h.readiness().is_ok(), "healthy calls, nothing claimable");
        assert!(h.misdirected("redirected"));
        assert!(!h.misdirected("redirected"));
        assert!(h.readiness().unwrap_err().contains("redirected"));
        h.delivered();
        assert!(h.readiness().is_ok());
    }
}

//! A worker's loop: claim (`queue::claim`) with an adaptive claim size, deliver, carry
//! the handed-over next events into the next round, back off while the database is
//! unreachable, and hand back whatever is still held at shutdown.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{sleep_or_stop, Delivery};
use crate::queue;
use crate::telemetry;

/// Shortest pause after an empty claim; doubles up to `poll_interval`.
const IDLE_MIN: Duration = Duration::from_millis(10);
/// Longest pause between attempts to reach an unreachable database.
const DB_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Smallest adaptive claim; `--batch-size` is the largest (and the first).
pub const CLAIM_MIN: usize = 10;

/// A worker's adaptive claim size: doubles after a full claim, halves after one that
/// came back short, within [`CLAIM_MIN`, max]. It starts at max, so a backlog found at
/// start goes out in full rounds; a trickle shrinks it within a few claims, so rows
/// are spread over the workers and none of them backs off into a long idle sleep.
#[derive(Debug, Clone, Copy)]
pub struct ClaimSize {
    current: usize,
    max: usize,
}

impl ClaimSize {
    pub fn new(max: usize) -> ClaimSize {
        ClaimSize { current: max, max }
    }

    pub fn get(&self) -> usize {
        self.current
    }

    /// A claim of `self.get()` rows returned `got` candidates.
    pub fn observe(&mut self, got: usize) {
        self.current = if got >= self.current {
            (self.current * 2).min(self.max)
        } else {
            (self.current / 2).max(CLAIM_MIN.min(self.max))
        };
    }
}

impl Delivery {
    pub(super) async fn worker_loop(&self, idx: usize, stop: CancellationToken) {
        let mut idle = IDLE_MIN;
        let mut db_backoff = Duration::from_millis(100);
        let mut db_failing = false;
        let mut seq: u64 = 0;
        let mut size = ClaimSize::new(self.cfg.batch_size);
        self.window_change(0, size.get());
        // Next events handed over by the last settle, leased to `carried.0`.
        let mut carried: Option<(String, queue::Claimed, Instant)> = None;
        while !stop.is_cancelled() {
            let paused = self.auth.is_failing() || self.pause_left().is_some();
            if let Some((owner, claimed, leased_at)) = carried.take() {
                if paused {
                    self.hand_back(&owner, claimed).await;
                } else {
                    seq += 1;
                    let next = format!("{}/{idx}/{seq}", self.instance);
                    let deadline = leased_at + self.cfg.lease - self.cfg.lease / 10;
                    carried = self
                        .deliver(&owner, claimed, deadline, &stop, &next)
                        .await
                        .map(|c| (next, c, Instant::now()));
                    continue;
                }
            }
            if self.auth.is_failing() {
                if sleep_or_stop(
                    self.cfg.poll_interval.min(Duration::from_millis(100)),
                    &stop,
                )
                .await
                {
                    break;
                }
                continue;
            }
            if let Some(wait) = self.pause_left() {
                if sleep_or_stop(wait, &stop).await {
                    break;
                }
                continue;
            }
            seq += 1;
            let owner = format!("{}/{idx}/{seq}", self.instance);
            let claimed_at = Instant::now();
            let slot = tokio::select! {
                slot = self.db_slots.acquire() => slot,
                _ = stop.cancelled() => break,
            };
            let claim = queue::claim(
                &self.db,
                &owner,
                size.get(),
                self.cfg.lease,
                self.cfg.max_attempts,
            )
            .await;
            drop(slot);
            match claim {
                Err(e) if queue::is_lock_conflict(&e) => {
                    metrics::counter!(telemetry::CLAIM_CONFLICTS).increment(1);
                    tracing::debug!(event = "queue.claim_conflict", error = %e, "claim conflict; retrying");
                }
                Err(e) => {
                    if !db_failing {
                        tracing::warn!(event = "queue.claim_failed", worker = idx, error = %e, "cannot claim; retrying with backoff");
                        db_failing = true;
                    }
                    if sleep_or_stop(db_backoff, &stop).await {
                        break;
                    }
                    db_backoff = (db_backoff * 2).min(DB_BACKOFF_MAX);
                }
                Ok(claimed) => {
                    if db_failing {
                        tracing::info!(
                            event = "queue.claim_recovered",
                            worker = idx,
                            "database reachable again"
                        );
                        db_failing = false;
                    }
                    db_backoff = Duration::from_millis(100);
                    let before = size.get();
                    size.observe(claimed.rows.len() + claimed.exhausted.len() + claimed.blocked);
                    self.window_change(before, size.get());
                    if claimed.rows.is_empty() && claimed.exhausted.is_empty() {
                        self.health.idle();
                        if sleep_or_stop(idle, &stop).await {
                            break;
                        }
                        idle = (idle * 2).min(self.cfg.poll_interval);
                        continue;
                    }
                    idle = IDLE_MIN;
                    self.health.rows_waiting();
                    // No call starts that could not end before the lease does.
                    let deadline = claimed_at + self.cfg.lease - self.cfg.lease / 10;
                    seq += 1;
                    let next = format!("{}/{idx}/{seq}", self.instance);
                    carried = self
                        .deliver(&owner, claimed, deadline, &stop, &next)
                        .await
                        .map(|c| (next, c, Instant::now()));
                }
            }
        }
        if let Some((owner, claimed, _)) = carried.take() {
            self.hand_back(&owner, claimed).await;
        }
        self.window_change(size.get(), 0);
    }

    /// Keep the pool's claim-size gauge equal to the sum of the workers' sizes.
    fn window_change(&self, from: usize, to: usize) {
        let w = &self.stats.claim_window;
        if to >= from {
            w.fetch_add((to - from) as u64, Ordering::Relaxed);
        } else {
            w.fetch_sub((from - to) as u64, Ordering::Relaxed);
        }
        metrics::gauge!(telemetry::CLAIM_SIZE).set(w.load(Ordering::Relaxed) as f64);
    }

    /// Give back handed-over rows not sent (shutdown, or the pool is paused): the
    /// attempt is not counted, and claims take them up again.
    async fn hand_back(&self, owner: &str, claimed: queue::Claimed) {
        let ids: Vec<i64> = claimed
            .rows
            .iter()
            .chain(claimed.exhausted.iter())
            .map(|r| r.id)
            .collect();
        self.release_counted(&ids, owner, Duration::ZERO).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_size_halves_on_short_claims_and_doubles_on_full_ones_within_bounds() {
        let mut s = ClaimSize::new(1000);
        assert_eq!(s.get(), 1000);
        s.observe(1000);
        assert_eq!(s.get(), 1000, "never above --batch-size");
        for _ in 0..20 {
            s.observe(3);
        }
        assert_eq!(s.get(), CLAIM_MIN, "never below the minimum");
        s.observe(CLAIM_MIN);
        assert_eq!(s.get(), 2 * CLAIM_MIN);
        s.observe(2 * CLAIM_MIN);
        assert_eq!(s.get(), 4 * CLAIM_MIN);
        s.observe(1);
        assert_eq!(s.get(), 2 * CLAIM_MIN);
        let mut tiny = ClaimSize::new(4);
        tiny.observe(0);
        assert_eq!(tiny.get(), 4, "a --batch-size below the minimum is kept");
    }
}

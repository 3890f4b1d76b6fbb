//! Complete a claim's delivered rows: mark them delivered and write back to their
//! source rows in one transaction that also leases each record's next event (the
//! hand-over), retry the hand-overs another session held, and count what this claim
//! really completed (a lease lost first is counted as such, not as delivered).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::settle::count_by_table;
use super::Delivery;
use crate::queue::{self, QueueRow};
use crate::telemetry;
use crate::writeback::{self, Delivered};

/// Tries of a hand-over whose next event another session held, after the commit.
const HAND_OVER_TRIES: u32 = 8;
/// First pause before such a try; doubles per try (2 ms .. 256 ms, about 0.5 s in all).
const HAND_OVER_PAUSE: Duration = Duration::from_millis(2);

impl Delivery {
    /// Mark delivered and write back to the source rows, in one transaction (so a
    /// delivered row's source row always says Pending, or its write-back is kept for a
    /// later try). The transaction never waits for the application's row locks (see
    /// `writeback`); a deadlock, lock wait timeout or lost connection of our own is
    /// retried for up to half a lease. If it still fails, the rows stay leased and go
    /// back to the queue when the lease expires (redelivered under the same
    /// idempotency key: harmless).
    ///
    /// The same transaction leases each delivered record's next event to `next_owner`
    /// (`queue::chain`); those the first try found held by another session are tried
    /// again, a few times, after the commit. Returns the rows so leased.
    pub(super) async fn complete(
        &self,
        owner: &str,
        delivered: &[(&QueueRow, Option<String>)],
        next_owner: &str,
    ) -> Option<queue::Claimed> {
        let ids: Vec<i64> = delivered.iter().map(|(r, _)| r.id).collect();
        let records: Vec<(String, String)> = delivered
            .iter()
            .map(|(r, _)| (r.table_name.clone(), r.record_id.clone()))
            .collect();
        let hand_over = writeback::HandOver {
            records: &records,
            owner: next_owner,
            lease: self.cfg.lease,
            max_attempts: self.cfg.max_attempts,
        };
        let items: Vec<Delivered> = delivered
            .iter()
            .filter(|(r, _)| r.op_type != "delete")
            .map(|(r, hash)| Delivered {
                queue_id: r.id,
                table: r.table_name.clone(),
                record_id: r.record_id.clone(),
                record_hash: hash.clone(),
                payload_sha256: r.payload.as_deref().map(writeback::payload_sha256),
            })
            .collect();
        let deadline = Instant::now() + self.cfg.lease / 2;
        let mut pause = Duration::from_millis(50);
        let (completed, mut chained) = loop {
            match writeback::complete_write_back_and_hand_over(
                &self.db,
                &self.schema,
                &ids,
                owner,
                &items,
                Some(hand_over),
            )
            .await
            {
                Ok((completed, _report, chained)) => break (completed, chained),
                Err(e)
                    if Instant::now() + pause < deadline
                        && e.sqlx().is_some_and(crate::db::is_retryable) =>
                {
                    tracing::warn!(event = "queue.complete", error = %e, "database error marking rows delivered; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::error!(event = "queue.complete", rows = ids.len(), error = %e, "could not mark rows delivered; they return to the queue when their lease expires");
                    return None;
                }
            }
        };
        self.stats.delivered.fetch_add(completed, Ordering::Relaxed);
        let mine = self.completed_by_this_claim(delivered, completed).await;
        self.lost_leases(
            "queue.complete",
            ids.len() as u64 - completed.min(ids.len() as u64),
        );
        count_by_table(
            telemetry::DELIVERED,
            mine.iter().map(|r| r.table_name.as_str()),
        );
        let now = chrono::Utc::now();
        let latency = metrics::histogram!(telemetry::DELIVERY_LATENCY);
        for row in mine {
            if let Ok(d) = (now - row.created_at).to_std() {
                latency.record(d.as_secs_f64());
            }
        }
        // Next events another session held a moment ago (a claim that had them as
        // candidates): once it commits they are free, or leased by it.
        let mut tries = 0;
        let mut pause = HAND_OVER_PAUSE;
        while !chained.held.is_empty() && tries < HAND_OVER_TRIES {
            tries += 1;
            tokio::time::sleep(pause).await;
            pause *= 2;
            let held = std::mem::take(&mut chained.held);
            match queue::chain_again(
                &self.db,
                &held,
                next_owner,
                self.cfg.lease,
                self.cfg.max_attempts,
            )
            .await
            {
                Ok(more) => {
                    chained.claimed.rows.extend(more.claimed.rows);
                    chained.claimed.exhausted.extend(more.claimed.exhausted);
                    chained.held = more.held;
                }
                // Not ours to fix: the claims find them once their park ends.
                Err(e) => {
                    tracing::info!(event = "queue.chain", error = %e, "hand-over retry failed");
                    break;
                }
            }
        }
        if !chained.held.is_empty() {
            // Left to the claims: a parked next event then waits out its park.
            tracing::info!(
                event = "queue.hand_over_missed",
                rows = chained.held.len(),
                tries,
                "queue.hand_over_missed: a record's next event stayed held by another session; a claim takes it when its park ends"
            );
        }
        let got = chained.claimed.rows.len() + chained.claimed.exhausted.len();
        if got == 0 {
            return None;
        }
        self.stats
            .handed_over
            .fetch_add(got as u64, Ordering::Relaxed);
        Some(chained.claimed)
    }

    /// The rows of `delivered` this claim marked delivered: all of them when `completed`
    /// says so; otherwise (some leases expired first: rare) those the queue shows
    /// delivered with this claim's attempt count (a row claimed again has a higher one).
    /// Empty if that read fails: only the per-table counts and latencies miss them.
    async fn completed_by_this_claim<'a>(
        &self,
        delivered: &[(&'a QueueRow, Option<String>)],
        completed: u64,
    ) -> Vec<&'a QueueRow> {
        if completed as usize >= delivered.len() {
            return delivered.iter().map(|(r, _)| *r).collect();
        }
        let ids: Vec<i64> = delivered.iter().map(|(r, _)| r.id).collect();
        match queue::settled(&self.db, &ids).await {
            Ok(now) => {
                // Delivered with the attempts this claim's lease gave the row.
                let ours: std::collections::HashMap<i64, u32> = now
                    .into_iter()
                    .filter(|(_, _, processed)| *processed)
                    .map(|(id, attempts, _)| (id, attempts))
                    .collect();
                delivered
                    .iter()
                    .map(|(r, _)| *r)
                    .filter(|r| ours.get(&r.id) == Some(&(r.attempts + 1)))
                    .collect()
            }
            Err(e) => {
                tracing::debug!(event = "queue.complete", error = %e, "cannot tell which rows this claim delivered; their per-table counts are skipped");
                Vec::new()
            }
        }
    }
}

//! Settle a claim's rows by their `SendOutcome`: complete and write back (`complete`,
//! handing each record's next event over in the same transaction), retry with backoff,
//! bury, or hand back unspent; every settling statement retried for up to half a lease.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::send::{record_key, SendOutcome};
use super::Delivery;
use crate::queue::{self, QueueRow};
use crate::telemetry;

/// Rows to hand back for later, each with its own error, and the longest Retry-After
/// any of their answers asked for.
type LaterRows<'a> = (Vec<(i64, &'a str)>, Option<Duration>);

/// Add one to `metric{table}` per item, in one update per table.
pub(super) fn count_by_table<'a>(metric: &'static str, tables: impl Iterator<Item = &'a str>) {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for t in tables {
        *counts.entry(t).or_default() += 1;
    }
    for (table, n) in counts {
        metrics::counter!(metric, "table" => table.to_string()).increment(n);
    }
}

impl Delivery {
    /// Hand `ids` back without counting the attempt (available after `delay`) and
    /// count them as released; false if the database kept refusing.
    pub(super) async fn release_counted(&self, ids: &[i64], owner: &str, delay: Duration) -> bool {
        let released = self
            .with_db_retry("queue.release", ids.len(), || {
                queue::release(&self.db, ids, owner, delay)
            })
            .await;
        if let Some(n) = released {
            self.stats.released.fetch_add(n, Ordering::Relaxed);
        }
        released.is_some()
    }

    /// Count `n` rows whose lease expired before this worker settled them.
    pub(super) fn lost_leases(&self, what: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        self.stats.lost_leases.fetch_add(n, Ordering::Relaxed);
        metrics::counter!(telemetry::LOST_LEASES).increment(n);
        tracing::warn!(
            event = what,
            rows = n,
            "lease expired before the rows were settled; their new holder sends them again (same idempotency key). A --lease longer than the slowest API call avoids this"
        );
    }

    /// Apply every row's outcome to the queue.
    pub(super) async fn settle(
        &self,
        owner: &str,
        settled: Vec<(QueueRow, SendOutcome)>,
        next_owner: &str,
    ) -> Option<queue::Claimed> {
        let mut delivered: Vec<(&QueueRow, Option<String>)> = Vec::new();
        // Retries by attempt number.
        let mut retry: BTreeMap<u32, LaterRows> = BTreeMap::new();
        let mut unsent: Vec<i64> = Vec::new();
        let mut unauthorised: Vec<i64> = Vec::new();
        let mut auth_error: Option<String> = None;
        let mut misdirected: Vec<i64> = Vec::new();
        let mut misdirection: Option<String> = None;
        let mut bury: Vec<(&QueueRow, String)> = Vec::new();
        // 429s.
        let mut throttled: LaterRows = (Vec::new(), None);
        let mut retry_tables: Vec<&str> = Vec::new();

        for (row, outcome) in &settled {
            match outcome {
                SendOutcome::Delivered(hash) => delivered.push((row, hash.clone())),
                SendOutcome::Dead(reason) => bury.push((row, reason.clone())),
                SendOutcome::Unsent => unsent.push(row.id),
                SendOutcome::Unauthorised(e) => {
                    unauthorised.push(row.id);
                    auth_error.get_or_insert_with(|| e.clone());
                }
                SendOutcome::Misdirected(e) => {
                    misdirected.push(row.id);
                    misdirection.get_or_insert_with(|| e.clone());
                }
                SendOutcome::Throttled { error, after } => {
                    retry_tables.push(row.table_name.as_str());
                    throttled.0.push((row.id, error.as_str()));
                    throttled.1 = throttled.1.max(*after);
                }
                SendOutcome::Retry { error, after } => {
                    let attempts = row.attempts + 1;
                    if attempts >= self.cfg.max_attempts {
                        bury.push((row, format!("gave up after {attempts} attempts: {error}")));
                    } else {
                        retry_tables.push(row.table_name.as_str());
                        let entry = retry.entry(attempts).or_default();
                        entry.0.push((row.id, error.as_str()));
                        // A server's Retry-After is honoured up to --retry-max.
                        entry.1 = entry.1.max(after.map(|a| a.min(self.cfg.retry_max)));
                    }
                }
            }
        }

        let mut next = None;
        if !delivered.is_empty() {
            if self.auth.accept() {
                tracing::info!(
                    event = "worker.auth_recovered",
                    "Certyo accepts the API key again; delivery resumed"
                );
            }
            self.health.delivered();
            let slot = self.db_slots.acquire().await;
            next = self.complete(owner, &delivered, next_owner).await;
            drop(slot);
        }
        count_by_table(telemetry::RETRIED, retry_tables.iter().copied());
        count_by_table(
            telemetry::DEAD,
            bury.iter().map(|(r, _)| r.table_name.as_str()),
        );
        if let Some(after) = retry
            .values()
            .filter_map(|(_, after)| *after)
            .chain(throttled.1)
            .max()
        {
            self.pause_for(after.min(self.cfg.retry_max));
        }
        let (rows, after) = throttled;
        if let Some((_, error)) = rows.first() {
            // Not an attempt: the first retry's backoff, or the server's Retry-After when
            // longer, never beyond --retry-max.
            let delay = self
                .cfg
                .backoff(1)
                .max(after.unwrap_or_default())
                .min(self.cfg.retry_max);
            tracing::debug!(event = "queue.throttle", rows = rows.len(), delay = ?delay, error = %error);
            if let Some(n) = self
                .with_db_retry("queue.throttle", rows.len(), || {
                    queue::throttle(&self.db, &rows, owner, delay)
                })
                .await
            {
                self.stats.retried.fetch_add(n, Ordering::Relaxed);
            }
        }
        for (attempts, (rows, after)) in retry {
            let delay = self.cfg.backoff(attempts).max(after.unwrap_or_default());
            if let Some((_, error)) = rows.first() {
                tracing::debug!(event = "queue.retry", rows = rows.len(), attempts, delay = ?delay, error = %error);
            }
            if let Some(n) = self
                .with_db_retry("queue.retry", rows.len(), || {
                    queue::retry(&self.db, &rows, owner, delay)
                })
                .await
            {
                self.stats.retried.fetch_add(n, Ordering::Relaxed);
            }
        }
        let mut buried: Vec<(String, String)> = Vec::new();
        for (row, reason) in bury {
            tracing::warn!(
                event = "queue.dead_letter", id = row.id, table = %row.table_name, record_id = %row.record_id,
                reason = %reason, "dead letter"
            );
            if let Some(1) = self
                .with_db_retry("queue.bury", 1, || {
                    queue::bury(&self.db, row.id, owner, &reason)
                })
                .await
            {
                self.stats.dead.fetch_add(1, Ordering::Relaxed);
                buried.push(record_key(row));
            }
        }
        if let Some(error) = auth_error {
            self.refused(&error);
            self.release_counted(&unauthorised, owner, Duration::ZERO)
                .await;
        }
        if let Some(error) = misdirection {
            self.misdirected(&error, misdirected.len());
            if self
                .release_counted(&misdirected, owner, self.cfg.auth_retry)
                .await
            {
                self.stats
                    .misdirected
                    .fetch_add(misdirected.len() as u64, Ordering::Relaxed);
            }
        }
        if !unsent.is_empty() {
            self.release_counted(&unsent, owner, Duration::ZERO).await;
        }
        // A dead letter no longer blocks its record: hand its next events over too
        // (this claim held the record's earliest event, so none is in flight).
        if !buried.is_empty() {
            match queue::chain_again(
                &self.db,
                &buried,
                next_owner,
                self.cfg.lease,
                self.cfg.max_attempts,
            )
            .await
            {
                Ok(more) => {
                    let got = more.claimed.rows.len() + more.claimed.exhausted.len();
                    if got > 0 {
                        self.stats
                            .handed_over
                            .fetch_add(got as u64, Ordering::Relaxed);
                        let mut all = next.unwrap_or_default();
                        all.rows.extend(more.claimed.rows);
                        all.exhausted.extend(more.claimed.exhausted);
                        all.rows.sort_by_key(|r| r.id);
                        next = Some(all);
                    }
                }
                // Their park ends by itself; claims take them then.
                Err(e) => {
                    tracing::debug!(event = "queue.chain", error = %e, "hand-over after dead letters failed")
                }
            }
        }
        next
    }

    /// Run a settling statement on `rows` rows, retrying lock conflicts and lost
    /// connections for up to half a lease (the rows are ours until the lease expires;
    /// after that another worker may redo them, which idempotency keys make harmless).
    /// Returns the rows it changed (those it did not had lost their lease: counted as
    /// such), or None if it failed.
    pub(super) async fn with_db_retry<F, Fut>(
        &self,
        what: &'static str,
        rows: usize,
        mut op: F,
    ) -> Option<u64>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
    {
        let deadline = Instant::now() + self.cfg.lease / 2;
        let mut pause = Duration::from_millis(50);
        loop {
            match op().await {
                Ok(n) => {
                    self.lost_leases(what, (rows as u64).saturating_sub(n));
                    return Some(n);
                }
                Err(e) if Instant::now() + pause < deadline && crate::db::is_retryable(&e) => {
                    tracing::warn!(event = what, error = %e, "database error settling rows; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    tracing::error!(event = what, error = %e, "database error settling rows; they return to the queue when their lease expires");
                    return None;
                }
            }
        }
    }
}

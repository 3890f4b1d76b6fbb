//! Send one claim's rows: each record's events in waves (one in flight per record),
//! small waves as concurrent single POSTs, larger ones as bulk calls; a bulk refused as
//! a whole is isolated record by record, a bulk answer that proves nothing is
//! confirmed by single calls; no call starts that could not end before the deadline.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::SecondsFormat;
use futures_util::stream::{self, StreamExt};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::Delivery;
use crate::certyo::{ApiError, BulkItemOutcome, Record, Retry, BULK_MAX};
use crate::queue::{self, QueueRow};
use crate::telemetry;

/// Concurrent single POSTs when isolating the records of a refused bulk call.
const ISOLATION_CONCURRENCY: usize = 32;

/// What became of one row's send (or why it was not sent): what settling does with it.
#[derive(Debug, Clone)]
pub(super) enum SendOutcome {
    Delivered(Option<String>),
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// 429: rate limited. Handed back without counting the attempt, so a rate limit,
    /// however long, never makes a dead letter.
    Throttled {
        error: String,
        after: Option<Duration>,
    },
    Dead(String),
    Unauthorised(String),
    /// The base URL leads elsewhere: hand back, attempt not counted.
    Misdirected(String),
    Unsent,
}

impl SendOutcome {
    fn from_error(e: ApiError) -> SendOutcome {
        match e {
            ApiError::Misdirected { .. } => return SendOutcome::Misdirected(e.to_string()),
            ApiError::RateLimited { retry_after } => {
                return SendOutcome::Throttled {
                    error: e.to_string(),
                    after: retry_after,
                }
            }
            _ => {}
        }
        match e.retry() {
            Retry::Never => SendOutcome::Dead(e.to_string()),
            Retry::AfterConfigFix => SendOutcome::Unauthorised(e.to_string()),
            Retry::Later(after) => SendOutcome::Retry {
                error: e.to_string(),
                after,
            },
        }
    }
}

pub(super) fn record_key(row: &QueueRow) -> (String, String) {
    (row.table_name.clone(), row.record_id.clone())
}

/// Split rows (each record's in queue-id order) into waves: wave i holds the i-th row
/// of every record that has one, in input order.
fn waves<T>(rows: Vec<(QueueRow, T)>) -> Vec<Vec<(QueueRow, T)>> {
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut out: Vec<Vec<(QueueRow, T)>> = Vec::new();
    for (row, extra) in rows {
        let n = seen.entry(record_key(&row)).or_insert(0);
        if out.len() <= *n {
            out.push(Vec::new());
        }
        out[*n].push((row, extra));
        *n += 1;
    }
    out
}

fn chunks_owned<T>(mut v: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::with_capacity(v.len().div_ceil(size));
    while v.len() > size {
        let rest = v.split_off(size);
        out.push(v);
        v = rest;
    }
    out.push(v);
    out
}

impl Delivery {
    /// Send one claim's rows and settle every one of them.
    /// Returns the next events of the delivered records, handed over (leased to
    /// `next_owner`) by the settling transaction.
    pub(super) async fn deliver(
        &self,
        owner: &str,
        claimed: queue::Claimed,
        deadline: Instant,
        stop: &CancellationToken,
        next_owner: &str,
    ) -> Option<queue::Claimed> {
        let mut settled: Vec<(QueueRow, SendOutcome)> =
            Vec::with_capacity(claimed.rows.len() + claimed.exhausted.len());
        for row in claimed.exhausted {
            let reason = format!(
                "gave up after {} attempts: each claim ended without an answer (worker stopped or lease expired)",
                row.attempts
            );
            settled.push((row, SendOutcome::Dead(reason)));
        }
        let mut sendable: Vec<(QueueRow, Record)> = Vec::with_capacity(claimed.rows.len());
        for row in claimed.rows {
            match self.to_record(&row) {
                Ok(rec) => sendable.push((row, rec)),
                Err(reason) => settled.push((row, SendOutcome::Dead(reason))),
            }
        }
        // A claim has one event per record: one wave. A hand-over may have a run of
        // events per record: wave i holds each record's i-th, sent after wave i-1 was
        // answered, so a record never has two in flight and goes in queue-id order. A
        // record whose event was not accepted (retry, hand-back) sends nothing more this
        // round; a dead letter does not stop it.
        let mut broken: HashSet<(String, String)> = HashSet::new();
        for wave in waves(sendable) {
            let (go, wait): (Vec<_>, Vec<_>) = wave
                .into_iter()
                .partition(|(row, _)| !broken.contains(&record_key(row)));
            settled.extend(wait.into_iter().map(|(row, _)| (row, SendOutcome::Unsent)));
            for (row, outcome) in self.send_wave(go, deadline, stop).await {
                if !matches!(outcome, SendOutcome::Delivered(_) | SendOutcome::Dead(_)) {
                    broken.insert(record_key(&row));
                }
                settled.push((row, outcome));
            }
        }
        self.settle(owner, settled, next_owner).await
    }

    /// Send rows of distinct records: up to `bulk_threshold` as concurrent single
    /// POSTs, more as bulk calls of at most 1000. Outcomes paired with their rows.
    async fn send_wave(
        &self,
        sendable: Vec<(QueueRow, Record)>,
        deadline: Instant,
        stop: &CancellationToken,
    ) -> Vec<(QueueRow, SendOutcome)> {
        let mut settled = Vec::with_capacity(sendable.len());
        if sendable.is_empty() {
        } else if stop.is_cancelled() {
            settled.extend(
                sendable
                    .into_iter()
                    .map(|(row, _)| (row, SendOutcome::Unsent)),
            );
        } else if sendable.len() <= self.cfg.bulk_threshold {
            let records: Vec<&Record> = sendable.iter().map(|(_, r)| r).collect();
            let outcomes = self.send_singles(&records, records.len(), deadline).await;
            settled.extend(sendable.into_iter().map(|(row, _)| row).zip(outcomes));
        } else {
            for chunk in chunks_owned(sendable, BULK_MAX) {
                if stop.is_cancelled() || !self.fits(deadline) {
                    settled.extend(chunk.into_iter().map(|(row, _)| (row, SendOutcome::Unsent)));
                    continue;
                }
                let outcomes = self.send_bulk(&chunk, deadline).await;
                settled.extend(chunk.into_iter().map(|(row, _)| row).zip(outcomes));
            }
        }
        settled
    }

    fn to_record(&self, row: &QueueRow) -> Result<Record, String> {
        let text = row.payload.as_deref().ok_or("payload is NULL")?;
        let payload: Box<RawValue> =
            serde_json::from_str(text).map_err(|e| format!("payload is not valid JSON: {e}"))?;
        if !payload.get().starts_with('{') {
            return Err("payload is not a JSON object".into());
        }
        if !matches!(
            row.op_type.as_str(),
            "insert" | "update" | "delete" | "upsert"
        ) {
            return Err(format!("unknown op_type {:?}", row.op_type));
        }
        let api = self.client.config();
        Ok(Record {
            tenant_id: api.tenant_id.clone(),
            database: api.database.clone(),
            collection: row.table_name.clone(),
            record_id: row.record_id.clone(),
            record_payload: payload,
            operation_type: row.op_type.clone(),
            source_timestamp: Some(row.created_at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            idempotency_key: format!("queue-{}", row.id),
        })
    }

    /// Whether a call started now ends (at the latest, by its timeout) before `deadline`.
    fn fits(&self, deadline: Instant) -> bool {
        Instant::now() + self.client.config().request_timeout <= deadline
    }

    /// Single POSTs, `concurrency` at a time; outcomes in input order. A call that
    /// could not end before `deadline` is not started (its row is handed back).
    async fn send_singles(
        &self,
        records: &[&Record],
        concurrency: usize,
        deadline: Instant,
    ) -> Vec<SendOutcome> {
        // Futures built up front: a closure inside the stream would trip rustc's
        // higher-ranked Send check when the worker is spawned.
        let calls: Vec<_> = records.iter().map(|r| self.send_one(r, deadline)).collect();
        stream::iter(calls)
            .buffered(concurrency.max(1))
            .collect()
            .await
    }

    async fn send_one(&self, record: &Record, deadline: Instant) -> SendOutcome {
        if !self.fits(deadline) {
            return SendOutcome::Unsent;
        }
        self.stats.api_calls.fetch_add(1, Ordering::Relaxed);
        match self.client.ingest(record).await {
            Ok(ok) => {
                self.health.answered();
                SendOutcome::Delivered(ok.record_hash)
            }
            Err(e) => self.failed_call(e),
        }
    }

    /// Note a failed call in the health record and turn it into an outcome.
    fn failed_call(&self, e: ApiError) -> SendOutcome {
        match e.retry() {
            Retry::Later(_) => self.health.failed(&e),
            _ => self.health.answered(),
        }
        SendOutcome::from_error(e)
    }

    /// One bulk call. Records the answer does not prove accepted or refused are
    /// confirmed with single calls under the same idempotency key (a replay where the
    /// bulk did store them); a call refused as a whole for its content is retried
    /// record by record so that only the bad records fail.
    async fn send_bulk(&self, chunk: &[(QueueRow, Record)], deadline: Instant) -> Vec<SendOutcome> {
        let records: Vec<Record> = chunk.iter().map(|(_, r)| r.clone()).collect();
        self.stats.api_calls.fetch_add(1, Ordering::Relaxed);
        match self.client.ingest_bulk(&records).await {
            Ok(answer) => {
                self.health.answered();
                let mut outcomes: Vec<SendOutcome> = Vec::with_capacity(records.len());
                let mut uncertain: Vec<usize> = Vec::new();
                for (i, item) in answer.outcomes.into_iter().enumerate() {
                    outcomes.push(match item {
                        BulkItemOutcome::Accepted(ok) => SendOutcome::Delivered(ok.record_hash),
                        BulkItemOutcome::Failed(e) => SendOutcome::from_error(e),
                        BulkItemOutcome::Rejected(text) => SendOutcome::Dead(text),
                        BulkItemOutcome::Uncertain(_) => {
                            uncertain.push(i);
                            SendOutcome::Unsent
                        }
                    });
                }
                if !uncertain.is_empty() {
                    let n = uncertain.len() as u64;
                    self.stats.bulk_uncertain.fetch_add(n, Ordering::Relaxed);
                    metrics::counter!(telemetry::BULK_UNCERTAIN).increment(n);
                    tracing::warn!(
                        event = "worker.bulk_uncertain", records = records.len(), uncertain = n,
                        why = %answer.notes.join("; "),
                        "the bulk answer does not prove every record's fate; confirming those records one by one under the same idempotency keys"
                    );
                    let refs: Vec<&Record> = uncertain.iter().map(|&i| &records[i]).collect();
                    let confirmed = self
                        .send_singles(&refs, ISOLATION_CONCURRENCY, deadline)
                        .await;
                    for (i, o) in uncertain.into_iter().zip(confirmed) {
                        outcomes[i] = o;
                    }
                }
                outcomes
            }
            Err(e) if e.retry() == Retry::Never => {
                self.health.answered();
                tracing::info!(
                    event = "worker.bulk_isolate", records = records.len(), error = %e,
                    "bulk call refused as a whole; sending its records one by one to isolate the bad ones"
                );
                let refs: Vec<&Record> = records.iter().collect();
                self.send_singles(&refs, ISOLATION_CONCURRENCY, deadline)
                    .await
            }
            Err(e) => {
                let template = self.failed_call(e);
                chunk.iter().map(|_| template.clone()).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, record: &str) -> QueueRow {
        QueueRow {
            id,
            table_name: "t".into(),
            record_id: record.into(),
            op_type: "update".into(),
            payload: None,
            created_at: chrono::Utc::now(),
            attempts: 0,
        }
    }

    #[test]
    fn waves_hold_each_records_ith_event_in_order() {
        let rows = vec![
            (row(1, "a"), ()),
            (row(2, "a"), ()),
            (row(3, "b"), ()),
            (row(4, "a"), ()),
            (row(5, "c"), ()),
        ];
        let ids: Vec<Vec<i64>> = waves(rows)
            .iter()
            .map(|w| w.iter().map(|(r, _)| r.id).collect())
            .collect();
        assert_eq!(ids, vec![vec![1, 3, 5], vec![2], vec![4]]);
    }

    #[test]
    fn chunks_keep_order_and_size() {
        let v: Vec<u32> = (0..2500).collect();
        let c = chunks_owned(v, 1000);
        assert_eq!(
            c.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
        assert_eq!(c[2][0], 2000);
    }
}

//! The emulator's store: records, their versions and the idempotency index behind one
//! mutex, the in-flight marks of requests, and the request totals.
//!
//! Invariants:
//! - One mutex guards records and the idempotency index together, so "is this key new?
//!   then store" is atomic: of two concurrent requests with one key, one stores a
//!   version and the other replays it. It is taken twice per request (begin, commit),
//!   never per record, and never across an await.
//! - Records are never removed, so a record's slot index is stable: a request holds
//!   slot indices from `begin` (in-flight + 1) to `commit` (in-flight − 1).
//! - Every `begin` is matched by exactly one decrement: in `commit`, or in the
//!   [`InFlight`] guard's `Drop` when the request is abandoned.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::canonical::{hex, rfc3339};
use super::inspection::{InspectedRecord, InspectedVersion, Inspection, Totals};
use super::{IngestAnswer, Latest, NewVersion, OpType, RecordKey, SnapshotRow};

struct Version {
    idempotency_key: Option<Arc<str>>,
    op: OpType,
    payload: Box<str>,
    hash: [u8; 32],
    seq: u64,
    accepted: Instant,
    accepted_at: DateTime<Utc>,
    source_timestamp: Option<String>,
    replays: u32,
}

#[derive(Default)]
struct Slot {
    versions: Vec<Version>,
    in_flight: u32,
    max_in_flight: u32,
}

struct IdemEntry {
    slot: usize,
    version: usize,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    index: HashMap<RecordKey, usize>,
    slots: Vec<Slot>,
    idem: HashMap<Arc<str>, IdemEntry>,
    seq: u64,
    records_accepted: u64,
    records_rejected: u64,
    replays: u64,
    max_in_flight: u32,
    /// Slots with at least one version (a slot can exist with none when every request
    /// for it was a replay of another record's key).
    records_stored: u64,
}

/// The emulator's whole state.
pub(crate) struct Store {
    inner: Mutex<Inner>,
    statuses: Mutex<BTreeMap<u16, u64>>,
    idempotency_window: Duration,
}

/// Slots a request has marked in flight; decremented by `Store::commit` or on drop.
pub(crate) struct InFlight<'a> {
    store: &'a Store,
    slots: Vec<usize>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.slots.is_empty() {
            return;
        }
        let mut inner = self.store.lock();
        for &s in &self.slots {
            if let Some(slot) = inner.slots.get_mut(s) {
                slot.in_flight = slot.in_flight.saturating_sub(1);
            }
        }
    }
}

impl Store {
    pub fn new(idempotency_window: Duration) -> Store {
        Store {
            inner: Mutex::new(Inner::default()),
            statuses: Mutex::new(BTreeMap::new()),
            idempotency_window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock; if something ever did, the data is
        // still consistent enough for an emulator.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mark one request per key in flight (a key listed twice counts twice).
    pub fn begin(&self, keys: Vec<RecordKey>) -> InFlight<'_> {
        let mut slots = Vec::with_capacity(keys.len());
        let mut inner = self.lock();
        let inner = &mut *inner;
        for key in keys {
            let s = match inner.index.get(&key) {
                Some(&s) => s,
                None => {
                    let s = inner.slots.len();
                    inner.slots.push(Slot::default());
                    inner.index.insert(key, s);
                    s
                }
            };
            let slot = &mut inner.slots[s];
            slot.in_flight += 1;
            slot.max_in_flight = slot.max_in_flight.max(slot.in_flight);
            inner.max_in_flight = inner.max_in_flight.max(slot.in_flight);
            slots.push(s);
        }
        InFlight { store: self, slots }
    }

    /// Store (or replay) each version, in order, and end the request's in-flight marks.
    /// `versions` pairs with the keys given to `begin`.
    pub fn commit(
        &self,
        flight: &mut InFlight<'_>,
        versions: Vec<NewVersion>,
    ) -> Vec<IngestAnswer> {
        let now = Instant::now();
        let now_utc = Utc::now();
        let mut out = Vec::with_capacity(versions.len());
        let mut inner = self.lock();
        let inner = &mut *inner;
        for (&s, v) in flight.slots.iter().zip(versions) {
            if let Some(key) = &v.idempotency_key {
                if let Some(e) = inner.idem.get(key) {
                    if now.duration_since(e.at) < self.idempotency_window {
                        if let Some(old) = inner
                            .slots
                            .get_mut(e.slot)
                            .and_then(|slot| slot.versions.get_mut(e.version))
                        {
                            old.replays += 1;
                            inner.replays += 1;
                            out.push(IngestAnswer {
                                hash: old.hash,
                                accepted_at: old.accepted_at,
                                replayed: true,
                            });
                            continue;
                        }
                    }
                }
            }
            inner.seq += 1;
            inner.records_accepted += 1;
            let slot = &mut inner.slots[s];
            if slot.versions.is_empty() {
                inner.records_stored += 1;
            }
            if let Some(key) = &v.idempotency_key {
                inner.idem.insert(
                    key.clone(),
                    IdemEntry {
                        slot: s,
                        version: slot.versions.len(),
                        at: now,
                    },
                );
            }
            out.push(IngestAnswer {
                hash: v.hash,
                accepted_at: now_utc,
                replayed: false,
            });
            slot.versions.push(Version {
                idempotency_key: v.idempotency_key,
                op: v.op,
                payload: v.payload,
                hash: v.hash,
                seq: inner.seq,
                accepted: now,
                accepted_at: now_utc,
                source_timestamp: v.source_timestamp,
                replays: 0,
            });
        }
        for &s in &flight.slots {
            let slot = &mut inner.slots[s];
            slot.in_flight = slot.in_flight.saturating_sub(1);
        }
        flight.slots.clear();
        out
    }

    /// The latest accepted version of a record.
    pub fn latest(&self, key: &RecordKey) -> Option<Latest> {
        let inner = self.lock();
        let s = *inner.index.get(key)?;
        let v = inner.slots.get(s)?.versions.last()?;
        Some(Latest {
            hash: v.hash,
            accepted: v.accepted,
        })
    }

    /// Every stored version of records with this id (a scan: the endpoint is rare).
    pub fn snapshots(
        &self,
        tenant_id: &str,
        record_id: &str,
        database: Option<&str>,
        collection: Option<&str>,
    ) -> Vec<SnapshotRow> {
        let inner = self.lock();
        let mut rows = Vec::new();
        for (key, &s) in &inner.index {
            if key.tenant_id != tenant_id
                || key.record_id != record_id
                || database.is_some_and(|d| d != key.database)
                || collection.is_some_and(|c| c != key.collection)
            {
                continue;
            }
            for v in &inner.slots[s].versions {
                rows.push(SnapshotRow {
                    database: key.database.clone(),
                    collection: key.collection.clone(),
                    record_id: key.record_id.clone(),
                    seq: v.seq,
                    hash: v.hash,
                    accepted: v.accepted,
                    accepted_at: v.accepted_at,
                });
            }
        }
        rows.sort_by_key(|r| r.seq);
        rows
    }

    pub fn count_status(&self, status: u16) {
        let mut map = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry(status).or_insert(0) += 1;
    }

    pub fn note_rejected(&self, n: usize) {
        if n > 0 {
            self.lock().records_rejected += n as u64;
        }
    }

    pub fn totals(&self) -> Totals {
        let requests_by_status = self
            .statuses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let inner = self.lock();
        Totals {
            requests: requests_by_status.values().sum(),
            requests_by_status,
            records: inner.records_stored,
            records_accepted: inner.records_accepted,
            records_rejected: inner.records_rejected,
            replays: inner.replays,
            max_in_flight: inner.max_in_flight,
        }
    }

    /// A copy of everything received, records in order of first arrival.
    pub fn inspect(&self, collection: Option<&str>, record_id: Option<&str>) -> Inspection {
        let totals = self.totals();
        let inner = self.lock();
        let mut records: Vec<(u64, InspectedRecord)> = inner
            .index
            .iter()
            .filter(|(k, &s)| {
                !inner.slots[s].versions.is_empty()
                    && collection.is_none_or(|c| c == k.collection)
                    && record_id.is_none_or(|r| r == k.record_id)
            })
            .map(|(k, &s)| {
                let slot = &inner.slots[s];
                let first = slot.versions.first().map_or(u64::MAX, |v| v.seq);
                let versions = slot
                    .versions
                    .iter()
                    .map(|v| InspectedVersion {
                        seq: v.seq,
                        idempotency_key: v.idempotency_key.as_deref().map(str::to_string),
                        operation_type: v.op.as_str().to_string(),
                        payload: serde_json::from_str(&v.payload).unwrap_or(Value::Null),
                        record_hash: hex(&v.hash),
                        replays: v.replays,
                        accepted_at: rfc3339(v.accepted_at),
                        source_timestamp: v.source_timestamp.clone(),
                    })
                    .collect();
                let rec = InspectedRecord {
                    tenant_id: k.tenant_id.clone(),
                    database: k.database.clone(),
                    collection: k.collection.clone(),
                    record_id: k.record_id.clone(),
                    versions,
                    in_flight: slot.in_flight,
                    max_in_flight: slot.max_in_flight,
                };
                (first, rec)
            })
            .collect();
        drop(inner);
        records.sort_by(|a, b| {
            (a.0, &a.1.collection, &a.1.record_id).cmp(&(b.0, &b.1.collection, &b.1.record_id))
        });
        Inspection {
            records: records.into_iter().map(|(_, r)| r).collect(),
            totals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nv(key: Option<&str>) -> NewVersion {
        NewVersion {
            idempotency_key: key.map(Arc::from),
            op: OpType::Upsert,
            payload: "{}".into(),
            hash: [0; 32],
            source_timestamp: None,
        }
    }

    fn key(id: &str) -> RecordKey {
        RecordKey {
            tenant_id: "t".into(),
            database: "d".into(),
            collection: "c".into(),
            record_id: id.into(),
        }
    }

    #[test]
    fn in_flight_counts_overlap_and_drop_releases() {
        let store = Store::new(Duration::from_secs(60));
        let a = store.begin(vec![key("1")]);
        let mut b = store.begin(vec![key("1"), key("2")]);
        assert_eq!(store.totals().max_in_flight, 2);
        drop(a);
        store.commit(&mut b, vec![nv(Some("k1")), nv(Some("k1"))]);
        let ins = store.inspect(None, None);
        assert!(ins.records.iter().all(|r| r.in_flight == 0));
        assert_eq!(ins.record("c", "1").unwrap().max_in_flight, 2);
        // The second record's version carried the same key: a replay, not stored.
        assert_eq!(ins.totals.replays, 1);
        assert_eq!(ins.versions().count(), 1);
    }
}

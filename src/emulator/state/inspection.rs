//! What `GET /_emulator/records` serves: every record received with all its versions,
//! and the totals, plus the look-ups tests make on it.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything the emulator received, as served by `GET /_emulator/records`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    /// Records with at least one version, in order of their first version.
    pub records: Vec<InspectedRecord>,
    pub totals: Totals,
}

/// One record (tenantId, database, collection, recordId) and all its versions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectedRecord {
    pub tenant_id: String,
    pub database: String,
    pub collection: String,
    pub record_id: String,
    /// Accepted versions in arrival order (replays are not versions).
    pub versions: Vec<InspectedVersion>,
    /// Requests for this record being processed right now.
    pub in_flight: u32,
    /// The most requests for this record ever processed at once.
    pub max_in_flight: u32,
}

/// One accepted version of a record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectedVersion {
    /// Arrival order across the whole emulator, from 1.
    pub seq: u64,
    pub idempotency_key: Option<String>,
    pub operation_type: String,
    pub payload: Value,
    pub record_hash: String,
    /// How many later requests with the same idempotency key were answered by replay.
    pub replays: u32,
    pub accepted_at: String,
    pub source_timestamp: Option<String>,
}

/// Counters over the emulator's life.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// API requests answered (the `/_emulator/` endpoints are not counted).
    pub requests: u64,
    pub requests_by_status: BTreeMap<u16, u64>,
    /// Distinct records seen.
    pub records: u64,
    /// Versions stored.
    pub records_accepted: u64,
    /// Records refused with 400/403 (single calls and bulk items).
    pub records_rejected: u64,
    /// Records answered from the idempotency index instead of stored.
    pub replays: u64,
    /// The most requests ever in flight at once for any one record.
    pub max_in_flight: u32,
}

impl Inspection {
    /// Every idempotency key of every stored version.
    pub fn keys_received(&self) -> HashSet<String> {
        self.versions()
            .filter_map(|v| v.idempotency_key.clone())
            .collect()
    }

    /// The highest per-record in-flight count seen.
    pub fn max_in_flight_overall(&self) -> u32 {
        self.records
            .iter()
            .map(|r| r.max_in_flight)
            .max()
            .unwrap_or(0)
            .max(self.totals.max_in_flight)
    }

    /// The record with this collection and id (any database), if any.
    pub fn record(&self, collection: &str, record_id: &str) -> Option<&InspectedRecord> {
        self.records
            .iter()
            .find(|r| r.collection == collection && r.record_id == record_id)
    }

    /// Every stored version of every record.
    pub fn versions(&self) -> impl Iterator<Item = &InspectedVersion> {
        self.records.iter().flat_map(|r| r.versions.iter())
    }

    /// How many requests were answered with this status.
    pub fn status_count(&self, status: u16) -> u64 {
        self.totals
            .requests_by_status
            .get(&status)
            .copied()
            .unwrap_or(0)
    }
}

impl InspectedRecord {
    /// The version verify and snapshots treat as current.
    pub fn latest(&self) -> Option<&InspectedVersion> {
        self.versions.last()
    }

    /// The idempotency keys of this record's versions, in arrival order.
    pub fn keys(&self) -> Vec<&str> {
        self.versions
            .iter()
            .filter_map(|v| v.idempotency_key.as_deref())
            .collect()
    }
}

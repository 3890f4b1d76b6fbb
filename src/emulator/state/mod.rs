//! The emulator's in-memory state: every accepted version of every record, the
//! idempotency index, per-record in-flight counters and request totals, plus the
//! canonical form the record hash is computed over.
//!
//! Layout: this module holds the record types the routes hand over and get back;
//! `store` the [`Store`] itself (its locking invariants are stated there);
//! `inspection` the copy served by `GET /_emulator/records`; `canonical` the canonical
//! JSON, the hash and the text forms of answers.

mod canonical;
mod inspection;
mod store;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

pub use canonical::{canonical_hash, canonical_json};
pub(crate) use canonical::{hex, rfc3339, sha256};
pub use inspection::{InspectedRecord, InspectedVersion, Inspection, Totals};
pub(crate) use store::Store;

/// What identifies a record: (tenantId, database, collection, recordId).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct RecordKey {
    pub tenant_id: String,
    pub database: String,
    pub collection: String,
    pub record_id: String,
}

/// The four documented operation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpType {
    Insert,
    Update,
    Delete,
    Upsert,
}

impl OpType {
    pub fn parse(s: &str) -> Option<OpType> {
        match s {
            "insert" => Some(OpType::Insert),
            "update" => Some(OpType::Update),
            "delete" => Some(OpType::Delete),
            "upsert" => Some(OpType::Upsert),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OpType::Insert => "insert",
            OpType::Update => "update",
            OpType::Delete => "delete",
            OpType::Upsert => "upsert",
        }
    }
}

/// A validated record minus its key, ready to be stored as a version.
#[derive(Debug)]
pub(crate) struct NewVersion {
    pub idempotency_key: Option<Arc<str>>,
    pub op: OpType,
    /// The canonical JSON of `recordPayload`.
    pub payload: Box<str>,
    pub hash: [u8; 32],
    pub source_timestamp: Option<String>,
}

/// What one record of a request was answered.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IngestAnswer {
    pub hash: [u8; 32],
    pub accepted_at: DateTime<Utc>,
    pub replayed: bool,
}

/// The latest version of a record, for verify.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latest {
    pub hash: [u8; 32],
    pub accepted: Instant,
}

/// One stored version, for the snapshots endpoint.
#[derive(Debug, Clone)]
pub(crate) struct SnapshotRow {
    pub database: String,
    pub collection: String,
    pub record_id: String,
    pub seq: u64,
    pub hash: [u8; 32],
    pub accepted: Instant,
    pub accepted_at: DateTime<Utc>,
}

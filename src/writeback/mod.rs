//! Write-back: after Certyo accepted a batch, mark each delivered version on its source
//! row (`certyo_anchor_status = 'Pending'`, `certyo_ingested_at`, `certyo_record_hash`)
//! so the verifier can later confirm anchoring.
//!
//! Invariants:
//! - All updates of one call run in ONE transaction with `@certyo_queue_writeback` set,
//!   so the capture triggers enqueue nothing and don't reset the tracking columns. The
//!   marker is cleared before COMMIT; if anything fails (or the future is dropped) the
//!   connection is detached from the pool and closed, so the marker can never leak
//!   into a connection that serves anything else.
//! - The write-back never waits for the application: source rows are locked with
//!   `FOR UPDATE SKIP LOCKED` first, and only the rows this transaction holds are
//!   updated. A row another transaction holds is kept in `certyo_writeback_due` and
//!   retried with backoff (`retry_due`) until it lands, the row is gone, or a newer
//!   version supersedes it. So the write-back can neither stall nor deadlock the
//!   application's transactions, on MySQL or MariaDB, and no write-back is dropped.
//! - A late write-back never overwrites a newer version's state: after the rows are
//!   locked (so no newer change of them can commit in between) a non-locking read finds
//!   the newest live queue row of each record, and a row is updated only if that is the
//!   version being written back. No locking statement reads `certyo_queue` (on MySQL a
//!   subquery inside an UPDATE locks what it reads, which deadlocked with `complete`).
//! - ON UPDATE CURRENT_TIMESTAMP columns are pinned (`col = col`): a write-back is not a
//!   change of the row.
//! - `certyo_payload_sha256` (where the table has it) gets the SHA-256 of the payload
//!   text the delivered queue row carried, read from `certyo_queue` by id without locks:
//!   exactly the bytes sent as `recordPayload`. `audit` compares it with the row as it
//!   is now, rendered the same way.
//! - A hash longer than the tracking column is not written (NULL, with a warning) for
//!   that row alone; its neighbours are written back as usual.
//! - `record_id` is parsed back as `capture` wrote it: the key value for a one-column
//!   key, a JSON array of key values in key order for a composite key.
//!
//! Cost, in the common case (nothing held by the application): per table per call (up
//! to 500 rows each) one locking SELECT, one guard SELECT and one UPDATE, joining the
//! source table by primary key to a derived table of the batch's values, inside a
//! single transaction; at most one version per record is sent (the newest). The
//! table's key columns are cached per (schema, table) and reloaded on a miss or when
//! the table changed under us.
//!
//! Layout: this file holds the entry points and the shared types; `transaction` (the
//! one transaction), `chunk` (one table's lock, guard and update), `meta` (a table's
//! statements, cached), `due` (kept write-backs), `record_id` (keys parsed back).

mod chunk;
mod due;
mod meta;
mod record_id;
mod transaction;

use std::time::Duration;

use sqlx::mysql::MySqlPool;

use self::transaction::{in_transaction, Job};
use crate::capture::CaptureError;
use crate::queue::Chained;

pub use self::due::due_count;
pub(crate) use self::record_id::{parse_record_id, KeyValue};

/// One delivered queue row (insert/update/upsert; deletes have no row to mark).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub queue_id: i64,
    pub table: String,
    pub record_id: String,
    /// The hash Certyo returned, if any (NULL is written otherwise).
    pub record_hash: Option<String>,
    /// SHA-256 (lowercase hex) of the payload text that was sent, if the caller has it
    /// (the worker does: [`payload_sha256`]); otherwise it is read from the queue row.
    pub payload_sha256: Option<String>,
}

/// The SHA-256 (lowercase hex) of a payload text: what `certyo_payload_sha256` holds,
/// equal to the server's `SHA2(CAST(payload AS CHAR), 256)` of the same queue row.
pub fn payload_sha256(payload: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(payload.as_bytes());
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBackReport {
    /// Source rows marked Pending.
    pub updated: u64,
    /// Items whose row was not updated: a newer version is queued, or the row is gone.
    pub skipped: u64,
    /// Items naming a table that no longer exists or a record_id that does not parse.
    pub unknown: u64,
    /// Items whose source row another transaction held: kept in certyo_writeback_due
    /// for a later try.
    pub deferred: u64,
}

impl WriteBackReport {
    fn add(&mut self, other: &WriteBackReport) {
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.unknown += other.unknown;
        self.deferred += other.deferred;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WriteBackError {
    #[error("write-back: {context}: {source}")]
    Db {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("write-back: reading table metadata: {0}")]
    Metadata(#[from] CaptureError),
}

impl WriteBackError {
    /// The database error behind this failure, if any (for the caller's classifier).
    pub fn sqlx(&self) -> Option<&sqlx::Error> {
        match self {
            WriteBackError::Db { source, .. } => Some(source),
            WriteBackError::Metadata(CaptureError::Db { source, .. }) => Some(source),
            WriteBackError::Metadata(_) => None,
        }
    }
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> WriteBackError {
    move |source| WriteBackError::Db { context, source }
}

/// Most rows marked by one statement (bind markers: 3 + key columns per row).
const ROWS_PER_STATEMENT: usize = 500;
/// Kept write-backs taken per `retry_due` call.
pub const DUE_BATCH: usize = 200;

/// Mark every item's source row as delivered and awaiting anchoring, in one transaction.
pub async fn write_back(
    pool: &MySqlPool,
    schema: &str,
    items: &[Delivered],
) -> Result<WriteBackReport, WriteBackError> {
    if items.is_empty() {
        return Ok(WriteBackReport::default());
    }
    Ok(in_transaction(
        pool,
        schema,
        Job::Fresh {
            complete: None,
            hand_over: None,
        },
        items,
    )
    .await?
    .1)
}

/// Mark queue rows `ids` delivered (only those `owner` still holds) and write back
/// `items`, in ONE transaction: a row is never delivered without its source row saying
/// Pending, or its write-back kept for a later try, even if the process dies in
/// between. Returns the queue rows completed.
pub async fn complete_and_write_back(
    pool: &MySqlPool,
    schema: &str,
    ids: &[i64],
    owner: &str,
    items: &[Delivered],
) -> Result<(u64, WriteBackReport), WriteBackError> {
    let (completed, report, _) =
        complete_write_back_and_hand_over(pool, schema, ids, owner, items, None).await?;
    Ok((completed, report))
}

/// The next events to lease in the transaction that completes their predecessors.
#[derive(Debug, Clone, Copy)]
pub struct HandOver<'a> {
    /// (table, record id) of every completed row.
    pub records: &'a [(String, String)],
    /// Lease token for the next events.
    pub owner: &'a str,
    pub lease: Duration,
    pub max_attempts: u32,
}

/// `complete_and_write_back`, and in the same transaction, if every row in `ids` was
/// completed, lease each record's next event (`queue::chain`) per `hand_over`.
pub async fn complete_write_back_and_hand_over(
    pool: &MySqlPool,
    schema: &str,
    ids: &[i64],
    owner: &str,
    items: &[Delivered],
    hand_over: Option<HandOver<'_>>,
) -> Result<(u64, WriteBackReport, Chained), WriteBackError> {
    in_transaction(
        pool,
        schema,
        Job::Fresh {
            complete: Some((ids, owner)),
            hand_over,
        },
        items,
    )
    .await
}

/// Try the kept write-backs that are due (at most `DUE_BATCH`): each lands, is dropped
/// (superseded or row gone) or is kept again with a longer delay. Several processes may
/// run this at once: each takes different rows (SKIP LOCKED).
pub async fn retry_due(pool: &MySqlPool, schema: &str) -> Result<WriteBackReport, WriteBackError> {
    Ok(in_transaction(pool, schema, Job::Due, &[]).await?.1)
}

#[cfg(test)]
mod payload_digest_tests {
    use super::payload_sha256;

    #[test]
    fn the_payload_digest_is_lowercase_hex_sha256_of_the_text() {
        assert_eq!(
            payload_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            payload_sha256(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}

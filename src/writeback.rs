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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, MySql, Row};

use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};
use crate::capture::{self, CaptureError};
use crate::queue::{self, expand_ids, Chained};

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
/// Width of `certyo_record_hash` (capture_tracking_columns.sql).
const HASH_MAX_CHARS: usize = 128;
/// First retry of a write-back whose row was held; doubles per attempt up to the cap.
const DUE_FIRST_DELAY: Duration = Duration::from_millis(500);
const DUE_MAX_DELAY: Duration = Duration::from_secs(60);
/// Kept write-backs taken per `retry_due` call.
pub const DUE_BATCH: usize = 200;

/// What the write-back needs of a table: its key and its statements, with the
/// `{values}` placeholder still open.
#[derive(Debug)]
struct TableMeta {
    pk: Vec<String>,
    /// The table has `certyo_payload_sha256` (migrated since it was added).
    digest: bool,
    update_sql: String,
    lock_sql: String,
    present_sql: String,
}

impl TableMeta {
    /// The derived table of `n` rows for `{values}`.
    fn values_for(&self, n: usize) -> String {
        let keys = |name| -> String {
            (0..self.pk.len())
                .map(|i| fill(fragment(&FRAGMENTS, name), &[("n", &i.to_string())]))
                .collect()
        };
        let mut values = fill(
            fragment(&FRAGMENTS, "first_row"),
            &[("keys", &keys("first_key"))],
        );
        let row = fill(fragment(&FRAGMENTS, "row"), &[("keys", &keys("key"))]);
        for _ in 1..n {
            values.push(' ');
            values.push_str(&row);
        }
        values
    }

    fn statement_for(&self, template: &str, n: usize) -> String {
        fill(template, &[("values", &self.values_for(n))])
    }
}

type MetaCache = Mutex<HashMap<(String, String), Arc<TableMeta>>>;
static CACHE: LazyLock<MetaCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../sql/captured_writeback_fragments.sql")));

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

/// Write-backs kept for a later try, and the age of the oldest in seconds.
pub async fn due_count(conn: &mut MySqlConnection) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(include_str!("../sql/writeback_due_count.sql"))
        .fetch_one(conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

#[derive(Clone, Copy)]
enum Job<'a> {
    /// Write-backs of a delivery just made (optionally marking its queue rows delivered).
    Fresh {
        complete: Option<(&'a [i64], &'a str)>,
        hand_over: Option<HandOver<'a>>,
    },
    /// Kept write-backs whose retry is due.
    Due,
}

async fn in_transaction(
    pool: &MySqlPool,
    schema: &str,
    job: Job<'_>,
    items: &[Delivered],
) -> Result<(u64, WriteBackReport, Chained), WriteBackError> {
    let conn = pool.acquire().await.map_err(db("acquiring a connection"))?;
    let mut guard = MarkerGuard(Some(conn));
    let Some(conn) = guard.0.as_mut() else {
        return Ok((0, WriteBackReport::default(), Chained::default()));
    };
    let result = write_back_on(conn, schema, job, items).await;
    match result {
        Ok(done) => {
            // Marker cleared and committed: the connection is clean, return it.
            guard.0.take();
            Ok(done)
        }
        Err(e) => {
            if matches!(&e, WriteBackError::Db { source: sqlx::Error::Database(d), .. }
                if d.try_downcast_ref::<MySqlDatabaseError>().is_some_and(|m| matches!(m.number(), 1054 | 1146)))
            {
                forget_schema(schema);
            }
            Err(e) // guard drops: the connection is detached and closed
        }
    }
}

/// Holds the write-back connection; unless disarmed, detaches it from the pool on drop
/// so a set marker (or an open transaction) dies with the socket.
struct MarkerGuard(Option<PoolConnection<MySql>>);

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// A kept write-back as claimed for a retry.
struct DueRow {
    item: Delivered,
    attempts: u32,
}

async fn write_back_on(
    conn: &mut MySqlConnection,
    schema: &str,
    job: Job<'_>,
    fresh: &[Delivered],
) -> Result<(u64, WriteBackReport, Chained), WriteBackError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(db("beginning the transaction"))?;
    let mut chained = Chained::default();
    let (completed, due) = match job {
        Job::Fresh {
            complete,
            hand_over,
        } => {
            let completed = match complete {
                Some((ids, owner)) => {
                    let n = crate::queue::complete_in(&mut tx, ids, owner)
                        .await
                        .map_err(db("marking queue rows delivered"))?;
                    // Only when every row was still ours: then none of their records
                    // has another event in flight.
                    if let Some(h) = hand_over.filter(|_| n as usize == ids.len()) {
                        chained = crate::queue::chain(
                            &mut tx,
                            h.records,
                            h.owner,
                            h.lease,
                            h.max_attempts,
                        )
                        .await
                        .map_err(db("leasing the records' next events"))?;
                    }
                    n
                }
                None => 0,
            };
            (completed, Vec::new())
        }
        Job::Due => (0, claim_due(&mut tx).await?),
    };
    let items: Vec<Delivered> = if due.is_empty() {
        fresh.to_vec()
    } else {
        due.iter().map(|d| d.item.clone()).collect()
    };
    let attempts: HashMap<i64, u32> = due.iter().map(|d| (d.item.queue_id, d.attempts)).collect();
    let mut metas: HashMap<String, Option<Arc<TableMeta>>> = HashMap::new();
    for item in &items {
        if !metas.contains_key(&item.table) {
            let meta = table_meta(&mut tx, schema, &item.table).await?;
            metas.insert(item.table.clone(), meta);
        }
    }
    sqlx::query(include_str!("../sql/session_writeback_marker_set.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db("setting the capture marker"))?;
    let mut report = WriteBackReport::default();
    let mut deferred: Vec<Delivered> = Vec::new();
    // One pass per table, tables in order of first appearance.
    let mut tables: Vec<&str> = Vec::new();
    for item in &items {
        if !tables.contains(&item.table.as_str()) {
            tables.push(&item.table);
        }
    }
    for table in tables {
        let batch: Vec<&Delivered> = items.iter().filter(|i| i.table == table).collect();
        let Some(meta) = metas.get(table).and_then(|m| m.clone()) else {
            report.unknown += batch.len() as u64;
            continue;
        };
        let mut rows: Vec<Row_<'_>> = Vec::with_capacity(batch.len());
        for item in batch {
            let Some(key) = parse_record_id(&item.record_id, meta.pk.len()) else {
                tracing::warn!(event = "writeback.bad_record_id", table = %item.table, record_id = %item.record_id, "record_id does not match the table's key; skipped");
                report.unknown += 1;
                continue;
            };
            // Two versions of one record in one call: only the newer can win the guard.
            match rows.iter_mut().find(|r| r.item.record_id == item.record_id) {
                Some(slot) if slot.item.queue_id < item.queue_id => {
                    *slot = Row_::new(item, key);
                    report.skipped += 1;
                }
                Some(_) => report.skipped += 1,
                None => rows.push(Row_::new(item, key)),
            }
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let (part, held) = write_chunk(&mut tx, &meta, table, chunk).await?;
            report.add(&part);
            deferred.extend(held);
        }
    }
    if !deferred.is_empty() {
        defer(&mut tx, &deferred, &attempts).await?;
    }
    if !due.is_empty() {
        let kept: HashSet<i64> = deferred.iter().map(|d| d.queue_id).collect();
        let done: Vec<i64> = due
            .iter()
            .map(|d| d.item.queue_id)
            .filter(|id| !kept.contains(id))
            .collect();
        if !done.is_empty() {
            let sql = expand_ids(include_str!("../sql/writeback_due_delete.sql"), done.len());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for id in &done {
                q = q.bind(*id);
            }
            q.execute(&mut *tx)
                .await
                .map_err(db("forgetting kept write-backs"))?;
        }
    }
    sqlx::query(include_str!("../sql/session_writeback_marker_clear.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db("clearing the capture marker"))?;
    tx.commit().await.map_err(db("committing"))?;
    Ok((completed, report, chained))
}

/// One item of a chunk with its parsed key and the hash it will write.
struct Row_<'a> {
    item: &'a Delivered,
    key: Vec<KeyValue>,
    hash: Option<&'a str>,
}

impl<'a> Row_<'a> {
    fn new(item: &'a Delivered, key: Vec<KeyValue>) -> Row_<'a> {
        let hash = match item.record_hash.as_deref() {
            Some(h) if h.chars().count() > HASH_MAX_CHARS => {
                tracing::warn!(event = "writeback.hash_too_long", table = %item.table, record_id = %item.record_id, chars = h.chars().count(), "the record hash Certyo returned does not fit certyo_record_hash ({HASH_MAX_CHARS} characters); written as NULL for this row");
                None
            }
            h => h,
        };
        Row_ { item, key, hash }
    }
}

/// Bind the derived-table values of `rows` (h, r, q, d, keys... per row); d is the
/// payload digest by queue id, NULL where none is given.
fn bind_rows<'q>(
    mut q: sqlx::query::Query<'q, MySql, sqlx::mysql::MySqlArguments>,
    rows: &[&'q Row_<'q>],
    digests: Option<&HashMap<i64, String>>,
) -> sqlx::query::Query<'q, MySql, sqlx::mysql::MySqlArguments> {
    for row in rows {
        let digest = digests.and_then(|d| d.get(&row.item.queue_id)).cloned();
        q = q
            .bind(row.hash)
            .bind(row.item.record_id.as_str())
            .bind(row.item.queue_id)
            .bind(digest);
        for value in &row.key {
            q = match value {
                KeyValue::Int(i) => q.bind(*i),
                KeyValue::Text(s) => q.bind(s.as_str()),
            };
        }
    }
    q
}

async fn queue_ids(
    conn: &mut MySqlConnection,
    meta: &TableMeta,
    template: &str,
    rows: &[&Row_<'_>],
    context: &'static str,
) -> Result<HashSet<i64>, WriteBackError> {
    let sql = meta.statement_for(template, rows.len());
    let ids: Vec<i64> = bind_rows(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), rows, None)
        .fetch_all(&mut *conn)
        .await
        .map_err(db(context))?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()
        .map_err(db(context))?;
    Ok(ids.into_iter().collect())
}

/// Lock, guard and update one chunk of one table. Returns the report and the items
/// whose rows another transaction held.
async fn write_chunk(
    conn: &mut MySqlConnection,
    meta: &TableMeta,
    table: &str,
    chunk: &[Row_<'_>],
) -> Result<(WriteBackReport, Vec<Delivered>), WriteBackError> {
    let mut report = WriteBackReport::default();
    let all: Vec<&Row_<'_>> = chunk.iter().collect();
    let locked = queue_ids(conn, meta, &meta.lock_sql, &all, "locking source rows").await?;
    let mut held = Vec::new();
    if locked.len() < chunk.len() {
        let present = queue_ids(conn, meta, &meta.present_sql, &all, "reading source rows").await?;
        for row in chunk {
            let id = row.item.queue_id;
            if locked.contains(&id) {
                continue;
            }
            if present.contains(&id) {
                held.push(row.item.clone());
            } else {
                report.skipped += 1; // the row is gone: nothing to write back
            }
        }
        report.deferred += held.len() as u64;
    }
    let candidates: Vec<&Row_<'_>> = chunk
        .iter()
        .filter(|r| locked.contains(&r.item.queue_id))
        .collect();
    if candidates.is_empty() {
        return Ok((report, held));
    }
    // The guard: the newest live queue row of each record, read without locks.
    let record_ids: Vec<&str> = candidates
        .iter()
        .map(|r| r.item.record_id.as_str())
        .collect();
    let newest = queue::versions::newest_live(&mut *conn, table, &record_ids)
        .await
        .map_err(db("reading the newest version of each record"))?;
    let current: Vec<&Row_<'_>> = candidates
        .into_iter()
        .filter(|r| {
            newest
                .get(&r.item.record_id)
                .is_none_or(|n| *n <= r.item.queue_id)
        })
        .collect();
    report.skipped += (locked.len() - current.len()) as u64;
    if current.is_empty() {
        return Ok((report, held));
    }
    let digests = if meta.digest {
        payload_digests(conn, &current).await?
    } else {
        HashMap::new()
    };
    let sql = meta.statement_for(&meta.update_sql, current.len());
    let done = bind_rows(
        sqlx::query(sqlx::AssertSqlSafe(sql.as_str())),
        &current,
        Some(&digests),
    )
    .execute(&mut *conn)
    .await
    .map_err(db("marking source rows Pending"))?;
    let updated = done.rows_affected().min(current.len() as u64);
    report.updated += updated;
    report.skipped += current.len() as u64 - updated;
    Ok((report, held))
}

/// The SHA-256 of each delivered version's payload text, by queue id (a non-locking
/// read of `certyo_queue`; a row already cleaned up has none).
async fn payload_digests(
    conn: &mut MySqlConnection,
    rows: &[&Row_<'_>],
) -> Result<HashMap<i64, String>, WriteBackError> {
    let mut known: HashMap<i64, String> = rows
        .iter()
        .filter_map(|r| Some((r.item.queue_id, r.item.payload_sha256.clone()?)))
        .collect();
    // Only the items whose caller did not have the payload (a kept write-back).
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.item.queue_id)
        .filter(|id| !known.contains_key(id))
        .collect();
    if !ids.is_empty() {
        known.extend(
            queue::versions::payload_digests(conn, &ids)
                .await
                .map_err(db("reading the delivered payloads' digests"))?,
        );
    }
    Ok(known)
}

/// The delay before the next try of a write-back that was held `attempts` times.
fn due_delay(attempts: u32) -> Duration {
    DUE_FIRST_DELAY
        .saturating_mul(1u32 << attempts.min(10))
        .min(DUE_MAX_DELAY)
}

async fn defer(
    conn: &mut MySqlConnection,
    items: &[Delivered],
    attempts: &HashMap<i64, u32>,
) -> Result<(), WriteBackError> {
    let values = vec![fragment(&FRAGMENTS, "due_row"); items.len()].join(", ");
    let sql = fill(
        statement(include_str!("../sql/writeback_due_defer.sql")),
        &[("values", &values)],
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for item in items {
        let delay = due_delay(attempts.get(&item.queue_id).copied().unwrap_or(0));
        q = q
            .bind(item.queue_id)
            .bind(item.table.as_str())
            .bind(item.record_id.as_str())
            .bind(item.record_hash.as_deref())
            .bind(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX))
            .bind("source row held by another transaction");
    }
    q.execute(&mut *conn)
        .await
        .map_err(db("keeping write-backs for a later try"))?;
    tracing::info!(
        event = "writeback.deferred",
        rows = items.len(),
        "source rows held by another transaction; their write-back is kept and retried"
    );
    Ok(())
}

async fn claim_due(conn: &mut MySqlConnection) -> Result<Vec<DueRow>, WriteBackError> {
    let rows = sqlx::query(include_str!("../sql/writeback_due_claim.sql"))
        .bind(DUE_BATCH as u64)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("claiming kept write-backs"))?;
    rows.iter()
        .map(|r| {
            Ok(DueRow {
                item: Delivered {
                    queue_id: r.try_get(0)?,
                    table: r.try_get(1)?,
                    record_id: r.try_get(2)?,
                    record_hash: r.try_get(3)?,
                    payload_sha256: None,
                },
                attempts: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db("decoding kept write-backs"))
}

/// A key value bound to `pk = ?`; MySQL converts text to the column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyValue {
    Int(i64),
    Text(String),
}

/// `record_id` as the capture triggers wrote it: the value itself for a one-column key,
/// a JSON array of the key values for a composite key.
pub(crate) fn parse_record_id(record_id: &str, key_len: usize) -> Option<Vec<KeyValue>> {
    if key_len == 1 {
        return Some(vec![KeyValue::Text(record_id.to_string())]);
    }
    let values: Vec<serde_json::Value> = serde_json::from_str(record_id).ok()?;
    if values.len() != key_len {
        return None;
    }
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Some(KeyValue::Text(s)),
            serde_json::Value::Number(n) => Some(match n.as_i64() {
                Some(i) => KeyValue::Int(i),
                None => KeyValue::Text(n.to_string()),
            }),
            serde_json::Value::Bool(b) => Some(KeyValue::Int(i64::from(b))),
            _ => None,
        })
        .collect()
}

async fn table_meta(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<Option<Arc<TableMeta>>, WriteBackError> {
    let key = (schema.to_string(), table.to_string());
    if let Ok(cache) = CACHE.lock() {
        if let Some(meta) = cache.get(&key) {
            return Ok(Some(meta.clone()));
        }
    }
    let meta = if capture::check_name(table).is_err() {
        None
    } else {
        capture::inspect(conn, schema, table)
            .await?
            .filter(|shape| !shape.pk.is_empty() && shape.has_column("certyo_anchor_status"))
            .map(|shape| {
                let key_join: Vec<String> = shape
                    .key_columns()
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        // Binary keys are hex in record_id (capture::render).
                        let join = if capture::render::key_is_hex(c) {
                            "key_join_hex"
                        } else {
                            "key_join"
                        };
                        fill(
                            fragment(&FRAGMENTS, join),
                            &[("col", &quote_ident(&c.name)), ("n", &i.to_string())],
                        )
                    })
                    .collect();
                let keep: String = shape
                    .business_columns()
                    .filter(|c| c.on_update)
                    .map(|c| {
                        fill(
                            fragment(&FRAGMENTS, "keep"),
                            &[("col", &quote_ident(&c.name))],
                        )
                    })
                    .collect();
                let table = quote_ident(&shape.name);
                let key_join = key_join.join(" AND ");
                let digest = shape.has_column("certyo_payload_sha256");
                let digest_set = if digest {
                    fragment(&FRAGMENTS, "digest_set")
                } else {
                    ""
                };
                let with = |file: &str| {
                    fill(
                        statement(file),
                        &[
                            ("table", &table),
                            ("key_join", &key_join),
                            ("keep", &keep),
                            ("digest", digest_set),
                        ],
                    )
                };
                Arc::new(TableMeta {
                    update_sql: with(include_str!("../sql/captured_mark_pending.sql")),
                    lock_sql: with(include_str!("../sql/captured_lock_rows.sql")),
                    present_sql: with(include_str!("../sql/captured_rows_present.sql")),
                    pk: shape.pk,
                    digest,
                })
            })
    };
    if let Ok(mut cache) = CACHE.lock() {
        // A table that is missing now is looked up again next time (refresh on miss).
        if let Some(m) = &meta {
            cache.insert(key, m.clone());
        }
    }
    Ok(meta)
}

/// Drop cached metadata of `schema` (a statement failed on a changed table).
fn forget_schema(schema: &str) {
    if let Ok(mut cache) = CACHE.lock() {
        cache.retain(|(s, _), _| s != schema);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_parse_back() {
        assert_eq!(
            parse_record_id("42", 1),
            Some(vec![KeyValue::Text("42".into())])
        );
        assert_eq!(
            parse_record_id(r#"["eu", 42]"#, 2),
            Some(vec![KeyValue::Text("eu".into()), KeyValue::Int(42)])
        );
        assert_eq!(parse_record_id(r#"["eu"]"#, 2), None);
        assert_eq!(parse_record_id("eu,42", 2), None);
    }
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

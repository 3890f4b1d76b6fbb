//! One table's chunk of a write-back: lock the source rows (SKIP LOCKED), tell held
//! rows from gone ones, keep only the newest live version of each record (the guard),
//! and update the rows with status, hash and payload digest.

use std::collections::{HashMap, HashSet};

use sqlx::mysql::MySqlConnection;
use sqlx::{MySql, Row};

use super::meta::TableMeta;
use super::record_id::KeyValue;
use super::{db, Delivered, WriteBackError, WriteBackReport};
use crate::queue;

/// Width of `certyo_record_hash` (capture_tracking_columns.sql).
const HASH_MAX_CHARS: usize = 128;

/// One item of a chunk with its parsed key and the hash it will write.
pub(super) struct Row_<'a> {
    pub item: &'a Delivered,
    key: Vec<KeyValue>,
    hash: Option<&'a str>,
}

impl<'a> Row_<'a> {
    pub fn new(item: &'a Delivered, key: Vec<KeyValue>) -> Row_<'a> {
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
pub(super) async fn write_chunk(
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

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
//! - A late write-back never overwrites a newer version's state: a row is updated only
//!   if no newer live (not dead) queue row of the same record exists.
//! - ON UPDATE CURRENT_TIMESTAMP columns are pinned (`col = col`): a write-back is not a
//!   change of the row.
//! - `record_id` is parsed back as `capture` wrote it: the key value for a one-column
//!   key, a JSON array of key values in key order for a composite key.
//!
//! Cost: one UPDATE per table per call (up to 500 rows each), joining the source table
//! by primary key to a derived table of the batch's values, inside a single
//! transaction; at most one version per record is sent (the newest). The table's key
//! columns are cached per (schema, table) and reloaded on a miss or when the table
//! changed under us.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, MySql};

use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};
use crate::capture::{self, CaptureError};

/// One delivered queue row (insert/update/upsert; deletes have no row to mark).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub queue_id: i64,
    pub table: String,
    pub record_id: String,
    /// The hash Certyo returned, if any (NULL is written otherwise).
    pub record_hash: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBackReport {
    /// Source rows marked Pending.
    pub updated: u64,
    /// Items whose row was not updated: a newer version is queued, or the row is gone.
    pub skipped: u64,
    /// Items naming a table that no longer exists or a record_id that does not parse.
    pub unknown: u64,
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
    /// Deadlock, lock wait timeout or a lost connection: the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            WriteBackError::Db { source, .. } => match source {
                sqlx::Error::Database(d) => d
                    .try_downcast_ref::<MySqlDatabaseError>()
                    .is_some_and(|m| matches!(m.number(), 1213 | 1205)),
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
                _ => false,
            },
            WriteBackError::Metadata(_) => false,
        }
    }
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> WriteBackError {
    move |source| WriteBackError::Db { context, source }
}

/// Most rows marked by one statement (bind markers: 3 + key columns per row).
const ROWS_PER_STATEMENT: usize = 500;

/// What the write-back needs of a table: its key and its UPDATE, with the `{values}`
/// placeholder still open.
#[derive(Debug)]
struct TableMeta {
    pk: Vec<String>,
    update_sql: String,
}

impl TableMeta {
    /// The UPDATE for a batch of `n` rows.
    fn statement_for(&self, n: usize) -> String {
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
        fill(&self.update_sql, &[("values", &values)])
    }
}

type MetaCache = Mutex<HashMap<(String, String), Arc<TableMeta>>>;
static CACHE: LazyLock<MetaCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../sql/writeback_fragments.sql")));

/// Mark every item's source row as delivered and awaiting anchoring, in one transaction.
pub async fn write_back(
    pool: &MySqlPool,
    schema: &str,
    items: &[Delivered],
) -> Result<WriteBackReport, WriteBackError> {
    if items.is_empty() {
        return Ok(WriteBackReport::default());
    }
    Ok(in_transaction(pool, schema, None, items).await?.1)
}

/// Mark queue rows `ids` delivered (only those `owner` still holds) and write back
/// `items`, in ONE transaction: a row is never delivered without its source row saying
/// Pending, even if the process dies in between. Returns the queue rows completed.
pub async fn complete_and_write_back(
    pool: &MySqlPool,
    schema: &str,
    ids: &[i64],
    owner: &str,
    items: &[Delivered],
) -> Result<(u64, WriteBackReport), WriteBackError> {
    in_transaction(pool, schema, Some((ids, owner)), items).await
}

async fn in_transaction(
    pool: &MySqlPool,
    schema: &str,
    complete: Option<(&[i64], &str)>,
    items: &[Delivered],
) -> Result<(u64, WriteBackReport), WriteBackError> {
    let conn = pool.acquire().await.map_err(db("acquiring a connection"))?;
    let mut guard = MarkerGuard(Some(conn));
    let Some(conn) = guard.0.as_mut() else {
        return Ok((0, WriteBackReport::default()));
    };
    let result = write_back_on(conn, schema, complete, items).await;
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

async fn write_back_on(
    conn: &mut MySqlConnection,
    schema: &str,
    complete: Option<(&[i64], &str)>,
    items: &[Delivered],
) -> Result<(u64, WriteBackReport), WriteBackError> {
    // Metadata first, outside the transaction.
    let mut metas: HashMap<&str, Option<Arc<TableMeta>>> = HashMap::new();
    for item in items {
        if !metas.contains_key(item.table.as_str()) {
            metas.insert(&item.table, table_meta(conn, schema, &item.table).await?);
        }
    }
    let mut report = WriteBackReport::default();
    let mut tx = conn
        .begin()
        .await
        .map_err(db("beginning the transaction"))?;
    let completed = match complete {
        Some((ids, owner)) => crate::queue::complete_in(&mut tx, ids, owner)
            .await
            .map_err(db("marking queue rows delivered"))?,
        None => 0,
    };
    sqlx::query(include_str!("../sql/writeback_marker_set.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db("setting the capture marker"))?;
    // One statement per table per chunk, tables in order of first appearance.
    let mut tables: Vec<&str> = Vec::new();
    for item in items {
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
        let mut rows: Vec<(&Delivered, Vec<KeyValue>)> = Vec::with_capacity(batch.len());
        for item in batch {
            let Some(key) = parse_record_id(&item.record_id, meta.pk.len()) else {
                tracing::warn!(event = "writeback.bad_record_id", table = %item.table, record_id = %item.record_id, "record_id does not match the table's key; skipped");
                report.unknown += 1;
                continue;
            };
            // Two versions of one record in one call: only the newer can win the guard.
            match rows.iter_mut().find(|(r, _)| r.record_id == item.record_id) {
                Some(slot) if slot.0.queue_id < item.queue_id => {
                    *slot = (item, key);
                    report.skipped += 1;
                }
                Some(_) => report.skipped += 1,
                None => rows.push((item, key)),
            }
        }
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let sql = meta.statement_for(chunk.len());
            let mut q = sqlx::query(&sql);
            for (item, key) in chunk {
                q = q
                    .bind(item.record_hash.as_deref())
                    .bind(item.record_id.as_str())
                    .bind(item.queue_id);
                for value in key {
                    q = match value {
                        KeyValue::Int(i) => q.bind(*i),
                        KeyValue::Text(s) => q.bind(s.as_str()),
                    };
                }
            }
            let done = q
                .bind(table)
                .execute(&mut *tx)
                .await
                .map_err(db("marking source rows Pending"))?;
            let updated = done.rows_affected().min(chunk.len() as u64);
            report.updated += updated;
            report.skipped += chunk.len() as u64 - updated;
        }
    }
    sqlx::query(include_str!("../sql/writeback_marker_clear.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db("clearing the capture marker"))?;
    tx.commit().await.map_err(db("committing"))?;
    Ok((completed, report))
}

/// A key value bound to `pk = ?`; MySQL converts text to the column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyValue {
    Int(i64),
    Text(String),
}

/// `record_id` as the capture triggers wrote it: the value itself for a one-column key,
/// a JSON array of the key values for a composite key.
fn parse_record_id(record_id: &str, key_len: usize) -> Option<Vec<KeyValue>> {
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
                Arc::new(TableMeta {
                    update_sql: fill(
                        statement(include_str!("../sql/writeback_mark_pending.sql")),
                        &[
                            ("table", &quote_ident(&shape.name)),
                            ("key_join", &key_join.join(" AND ")),
                            ("keep", &keep),
                        ],
                    ),
                    pk: shape.pk,
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

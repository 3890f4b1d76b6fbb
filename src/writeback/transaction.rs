//! The write-back's one transaction: optionally complete the queue rows and hand their
//! records' next events over (`queue::complete_in`, `queue::chain`), set the capture
//! marker, write back table by table, keep what was held, clear the marker, commit; a
//! failed connection is detached, never pooled.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, MySql};

use super::chunk::{write_chunk, Row_};
use super::due::{claim_due, defer};
use super::meta::{forget_schema, table_meta, TableMeta};
use super::record_id::parse_record_id;
use super::{db, Delivered, HandOver, WriteBackError, WriteBackReport, ROWS_PER_STATEMENT};
use crate::queue::{expand_ids, Chained};

#[derive(Clone, Copy)]
pub(super) enum Job<'a> {
    /// Write-backs of a delivery just made (optionally marking its queue rows delivered).
    Fresh {
        complete: Option<(&'a [i64], &'a str)>,
        hand_over: Option<HandOver<'a>>,
    },
    /// Kept write-backs whose retry is due.
    Due,
}

pub(super) async fn in_transaction(
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
    sqlx::query(include_str!("../../sql/session_writeback_marker_set.sql"))
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
            let sql = expand_ids(
                include_str!("../../sql/writeback_due_delete.sql"),
                done.len(),
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for id in &done {
                q = q.bind(*id);
            }
            q.execute(&mut *tx)
                .await
                .map_err(db("forgetting kept write-backs"))?;
        }
    }
    sqlx::query(include_str!("../../sql/session_writeback_marker_clear.sql"))
        .execute(&mut *tx)
        .await
        .map_err(db("clearing the capture marker"))?;
    tx.commit().await.map_err(db("committing"))?;
    Ok((completed, report, chained))
}

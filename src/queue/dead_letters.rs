//! The dead letters' statements: list, requeue (in place, same id), purge. The
//! `dead` command (`crate::ops::dead`) prints what they return.
//!
//! Invariants:
//! - A requeue makes a dead row pending again in place (`dead_at` NULL, available now,
//!   `attempts` 0, lease cleared): the row keeps its id, so Certyo sees the same
//!   idempotency key `queue-<id>`; `last_error` is kept until the next failure.
//! - Only dead rows are touched: every UPDATE/DELETE re-checks `dead_at IS NOT NULL`
//!   (a row requeued or purged meanwhile is left alone); ids that are not dead letters
//!   are refused and reported, and the exit code is then 2.
//! - `--all` and `purge` work in chunks (found through the claim index, where dead letters are (0, NULL), changed
//!   by primary key, each chunk its own statement) up to a cut-off fixed at the start,
//!   so a row that dies again during the run is not taken twice.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sqlx::mysql::MySqlPool;
use sqlx::Row;

use super::expand_ids;
use crate::error::DbError;

/// Rows changed per statement by `requeue` and `purge`.
pub const CHUNK: usize = 1000;

/// One dead letter, as `dead list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub table: String,
    pub record_id: String,
    pub op: String,
    pub attempts: u32,
    pub dead_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// The newest `limit` dead letters, newest first.
pub async fn list(pool: &MySqlPool, limit: u32) -> Result<Vec<DeadLetter>, DbError> {
    let rows = sqlx::query(include_str!("../../sql/queue_dead_list.sql"))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(DbError::query("listing dead letters"))?;
    rows.iter()
        .map(|r| {
            Ok(DeadLetter {
                id: r.try_get(0)?,
                table: r.try_get(1)?,
                record_id: r.try_get(2)?,
                op: r.try_get(3)?,
                attempts: r.try_get(4)?,
                dead_at: r.try_get(5)?,
                last_error: r.try_get(6)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::query("decoding dead letters"))
}

/// What `requeue --id` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequeueReport {
    pub requeued: u64,
    /// Ids that are not dead letters (unknown, pending, delivered), ascending.
    pub refused: Vec<i64>,
}

/// Make the dead letters among `ids` pending again; the others are refused.
pub async fn requeue_ids(pool: &MySqlPool, ids: &[i64]) -> Result<RequeueReport, DbError> {
    let wanted: BTreeSet<i64> = ids.iter().copied().collect();
    let wanted: Vec<i64> = wanted.into_iter().collect();
    let mut report = RequeueReport::default();
    for chunk in wanted.chunks(CHUNK) {
        let sql = expand_ids(
            include_str!("../../sql/queue_dead_select_ids.sql"),
            chunk.len(),
        );
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in chunk {
            q = q.bind(id);
        }
        let dead: BTreeSet<i64> = q
            .fetch_all(pool)
            .await
            .map_err(DbError::query("finding the dead letters among the ids"))?
            .into_iter()
            .collect();
        report
            .refused
            .extend(chunk.iter().filter(|id| !dead.contains(id)));
        let dead: Vec<i64> = dead.into_iter().collect();
        report.requeued += requeue_chunk(pool, &dead).await?;
    }
    Ok(report)
}

/// Make every dead letter pending again; returns how many.
pub async fn requeue_all(pool: &MySqlPool) -> Result<u64, DbError> {
    let cutoff = db_now(pool).await?;
    let mut requeued = 0;
    loop {
        let ids = dead_before(pool, cutoff).await?;
        if ids.is_empty() {
            return Ok(requeued);
        }
        requeued += requeue_chunk(pool, &ids).await?;
    }
}

/// Delete dead letters that died more than `older_than` ago; returns how many.
pub async fn purge(pool: &MySqlPool, older_than: Duration) -> Result<u64, DbError> {
    let older = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let Some(cutoff) = db_now(pool).await?.checked_sub_signed(older) else {
        return Ok(0);
    };
    let mut purged = 0;
    loop {
        let ids = dead_before(pool, cutoff).await?;
        if ids.is_empty() {
            return Ok(purged);
        }
        let sql = expand_ids(include_str!("../../sql/queue_dead_purge.sql"), ids.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(id);
        }
        purged += super::execute_and_commit(pool, q.bind(cutoff))
            .await
            .map_err(DbError::query("deleting dead letters"))?;
        if ids.len() < CHUNK {
            return Ok(purged);
        }
    }
}

async fn requeue_chunk(pool: &MySqlPool, ids: &[i64]) -> Result<u64, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = expand_ids(include_str!("../../sql/queue_dead_requeue.sql"), ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for id in ids {
        q = q.bind(id);
    }
    super::execute_and_commit(pool, q)
        .await
        .map_err(DbError::query("requeueing dead letters"))
}

async fn db_now(pool: &MySqlPool) -> Result<NaiveDateTime, DbError> {
    sqlx::query_scalar(include_str!("../../sql/session_now.sql"))
        .fetch_one(pool)
        .await
        .map_err(DbError::query("reading the database clock"))
}

async fn dead_before(pool: &MySqlPool, cutoff: NaiveDateTime) -> Result<Vec<i64>, DbError> {
    sqlx::query_scalar(include_str!("../../sql/queue_dead_select_before.sql"))
        .bind(cutoff)
        .bind(CHUNK as i64)
        .fetch_all(pool)
        .await
        .map_err(DbError::query("selecting dead letters"))
}

//! The cleanup job's statements (`crate::tasks::cleanup` runs them chunk by chunk):
//! find rows past their retention by a non-locking indexed read, then delete them by
//! primary key with the conditions re-checked. A pending or leased row is never
//! matched: both selects and both deletes require `processed = 1` or `dead_at` set.

use std::time::Duration;

use sqlx::mysql::MySqlPool;

use super::{expand_ids, micros};
use crate::error::DbError;

/// Which rows a cleanup chunk deletes.
#[derive(Debug, Clone, Copy)]
pub enum Expired {
    /// Delivered rows past the retention.
    Delivered,
    /// Rows delivered by a version before V11, which left `available_at` NULL, past the
    /// retention by `delivered_at` (normally none; a worker of the older version may run
    /// on after the upgrade until it is restarted).
    DeliveredBeforeV11,
    /// Dead letters past the dead-letter retention.
    Dead,
}

impl Expired {
    fn select_sql(self) -> &'static str {
        match self {
            Expired::Delivered => include_str!("../../sql/queue_select_expired_delivered.sql"),
            Expired::DeliveredBeforeV11 => {
                include_str!("../../sql/queue_select_expired_delivered_before_v11.sql")
            }
            Expired::Dead => include_str!("../../sql/queue_select_expired_dead.sql"),
        }
    }
    fn delete_sql(self) -> &'static str {
        match self {
            Expired::Delivered | Expired::DeliveredBeforeV11 => {
                include_str!("../../sql/queue_delete_expired_delivered.sql")
            }
            Expired::Dead => include_str!("../../sql/queue_delete_expired_dead.sql"),
        }
    }
}

/// The ids of at most `limit` rows of `kind` older than `retention`.
pub async fn expired_ids(
    pool: &MySqlPool,
    kind: Expired,
    retention: Duration,
    limit: usize,
) -> Result<Vec<i64>, DbError> {
    sqlx::query_scalar(kind.select_sql())
        .bind(micros(retention))
        .bind(limit as i64)
        .fetch_all(pool)
        .await
        .map_err(DbError::query("selecting queue rows past retention"))
}

/// Delete `ids` (found by [`expired_ids`]) that are still rows of `kind` older than
/// `retention`; returns how many were deleted. `ids` must not be empty.
pub async fn delete_expired(
    pool: &MySqlPool,
    kind: Expired,
    ids: &[i64],
    retention: Duration,
) -> Result<u64, DbError> {
    let sql = expand_ids(kind.delete_sql(), ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for id in ids {
        q = q.bind(id);
    }
    super::execute_and_commit(pool, q.bind(micros(retention)))
        .await
        .map_err(DbError::query("deleting queue rows past retention"))
}

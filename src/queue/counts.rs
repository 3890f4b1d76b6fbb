//! Counts over the queue for the delivery pool's progress line and gauges.

use std::time::Duration;

use sqlx::mysql::MySqlPool;

use crate::error::DbError;

// Shared with `status` (`inspect`): index-only counts, then one primary-key lookup for
// the age.
pub(super) const BACKLOG_COUNTS: &str = include_str!("../../sql/queue_undelivered_counts.sql");
pub(super) const ROW_AGE: &str = include_str!("../../sql/queue_row_age.sql");

/// Rows waiting for delivery (not dead) and the age of the oldest. Reads the claim
/// index only, so it stays cheap on a large backlog.
pub async fn backlog(pool: &MySqlPool) -> Result<(i64, Duration), DbError> {
    let (undelivered, dead, oldest_id): (i64, i64, Option<i64>) = sqlx::query_as(BACKLOG_COUNTS)
        .fetch_one(pool)
        .await
        .map_err(DbError::query("reading the queue backlog"))?;
    let age_us: Option<i64> = match oldest_id {
        Some(id) => sqlx::query_scalar(ROW_AGE)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(DbError::query("reading the oldest row's age"))?,
        None => None,
    };
    Ok((
        undelivered - dead,
        Duration::from_micros(age_us.unwrap_or(0).max(0) as u64),
    ))
}

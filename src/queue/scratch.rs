//! The bench's statements on the queue of its scratch database (never a user's): empty
//! it, count what a phase settled, make delivered rows pending again, watch a drain or
//! the binlog reader's enqueueing, copy rows into the guide baseline's table.

use sqlx::mysql::MySqlPool;
use sqlx::Row;

use crate::error::DbError;

/// Delete every queue row.
pub async fn clear(pool: &MySqlPool) -> Result<(), DbError> {
    sqlx::query(include_str!("../../sql/queue_scratch_clear.sql"))
        .execute(pool)
        .await
        .map_err(DbError::query("emptying the scratch queue"))?;
    Ok(())
}

/// Delivered and dead rows.
pub async fn settled_counts(pool: &MySqlPool) -> Result<(i64, i64), DbError> {
    sqlx::query_as(include_str!("../../sql/queue_scratch_settled_counts.sql"))
        .fetch_one(pool)
        .await
        .map_err(DbError::query("counting delivered and dead rows"))
}

/// Make up to `n` delivered rows pending again, lowest ids first.
pub async fn reset_delivered(pool: &MySqlPool, n: u64) -> Result<(), DbError> {
    sqlx::query(include_str!("../../sql/queue_scratch_reset.sql"))
        .bind(n)
        .execute(pool)
        .await
        .map_err(DbError::query("making delivered rows pending again"))?;
    Ok(())
}

/// Whether any row is still pending or leased (dead rows are not).
pub async fn any_undone(pool: &MySqlPool) -> Result<bool, DbError> {
    let undone: Option<i64> =
        sqlx::query_scalar(include_str!("../../sql/queue_scratch_undone.sql"))
            .fetch_optional(pool)
            .await
            .map_err(DbError::query("looking for undone rows"))?;
    Ok(undone.is_some())
}

/// The newest queue id (0 when empty).
pub async fn max_id(pool: &MySqlPool) -> Result<i64, DbError> {
    sqlx::query_scalar(include_str!("../../sql/queue_scratch_max_id.sql"))
        .fetch_one(pool)
        .await
        .map_err(DbError::query("reading the newest queue id"))
}

/// (id, record id) of `table`'s queue rows after queue id `after`, in id order.
pub async fn rows_after(
    pool: &MySqlPool,
    table: &str,
    after: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    let rows = sqlx::query(include_str!("../../sql/queue_scratch_rows_after.sql"))
        .bind(table)
        .bind(after)
        .fetch_all(pool)
        .await
        .map_err(DbError::query("reading new queue rows"))?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::query("decoding new queue rows"))
}

/// Queue rows of `table`.
pub async fn table_count(pool: &MySqlPool, table: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(include_str!("../../sql/queue_scratch_table_count.sql"))
        .bind(table)
        .fetch_one(pool)
        .await
        .map_err(DbError::query("counting a table's queue rows"))
}

/// Copy the first `rows` queue rows into the guide's table (made by the caller);
/// returns how many were copied.
pub async fn copy_to_guide(pool: &MySqlPool, rows: u64) -> Result<u64, DbError> {
    Ok(
        sqlx::query(include_str!("../../sql/queue_scratch_guide_fill.sql"))
            .bind(rows)
            .execute(pool)
            .await
            .map_err(DbError::query("copying queue rows into the guide's table"))?
            .rows_affected(),
    )
}

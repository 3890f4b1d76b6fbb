//! Read-only looks at the queue for the operator reports: the totals and per-table
//! figures `status` shows, and the newest event per record that `audit` checks against
//! the source table. Plain consistent reads, served by the indexes named in each SQL
//! file; nothing is locked.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::counts::{BACKLOG_COUNTS, ROW_AGE};
use crate::capture::template::statement;
use crate::error::DbError;

/// Undelivered rows, the dead letters among them, and the id of the oldest row that is
/// not dead (ids follow insertion order).
#[derive(Debug, Clone, Copy)]
pub struct Undelivered {
    pub undelivered: i64,
    pub dead: i64,
    pub oldest_id: Option<i64>,
}

/// One table's undelivered rows that are not claimable now.
#[derive(Debug, Clone)]
pub struct NotReady {
    pub table: String,
    /// Under a live lease.
    pub in_flight: i64,
    /// Waiting out a retry delay.
    pub retrying: i64,
}

/// The newest queue event of one record (delivered or not, dead or not).
#[derive(Debug, Clone)]
pub struct NewestEvent {
    pub record_id: String,
    pub queue_id: i64,
    pub op: String,
    pub delivered: bool,
}

/// Undelivered and dead totals, from the claim index alone.
pub async fn undelivered(conn: &mut MySqlConnection) -> Result<Undelivered, DbError> {
    let decode = |e| DbError::query("decoding queue counts")(e);
    let row = sqlx::query(BACKLOG_COUNTS)
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("reading queue counts"))?;
    Ok(Undelivered {
        undelivered: row.try_get(0).map_err(decode)?,
        dead: row.try_get(1).map_err(decode)?,
        oldest_id: row.try_get(2).map_err(decode)?,
    })
}

/// Per table, the rows in flight and retrying.
pub async fn not_ready_by_table(conn: &mut MySqlConnection) -> Result<Vec<NotReady>, DbError> {
    let decode = |e| DbError::query("decoding queue counts")(e);
    let rows = sqlx::query(include_str!("../../sql/queue_not_ready_by_table.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("reading leased and retrying rows"))?;
    rows.iter()
        .map(|row| {
            Ok(NotReady {
                table: row.try_get(0).map_err(decode)?,
                in_flight: row.try_get(1).map_err(decode)?,
                retrying: row.try_get(2).map_err(decode)?,
            })
        })
        .collect()
}

/// Per table, its dead letters.
pub async fn dead_by_table(conn: &mut MySqlConnection) -> Result<Vec<(String, i64)>, DbError> {
    let decode = |e| DbError::query("decoding queue counts")(e);
    let rows = sqlx::query(include_str!("../../sql/queue_dead_by_table.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("counting dead letters"))?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get(0).map_err(decode)?,
                row.try_get(1).map_err(decode)?,
            ))
        })
        .collect()
}

/// The age in microseconds of queue row `id` (None when it is gone).
pub async fn row_age_micros(conn: &mut MySqlConnection, id: i64) -> Result<Option<i64>, DbError> {
    Ok(sqlx::query_scalar(ROW_AGE)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(DbError::query("reading the oldest row's age"))?
        .flatten())
}

/// Rows delivered in the last hour and in the last 24 hours (still in the queue).
pub async fn delivered_recently(conn: &mut MySqlConnection) -> Result<(i64, i64), DbError> {
    let row = sqlx::query(include_str!("../../sql/queue_delivered_recently.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("counting recent deliveries"))?;
    let h1: i64 = row
        .try_get(0)
        .map_err(DbError::query("decoding delivery counts"))?;
    let h24: i64 = row
        .try_get(1)
        .map_err(DbError::query("decoding delivery counts"))?;
    Ok((h1, h24))
}

/// The newest event of up to `limit` records of `table` after record id `after`, in
/// record-id order. A failed read is `DbError::Query` with the sqlx error as its source
/// (a caller tells a missing privilege from it).
pub async fn newest_event_per_record(
    conn: &mut MySqlConnection,
    table: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<NewestEvent>, DbError> {
    let rows = sqlx::query(statement(include_str!(
        "../../sql/queue_newest_event_per_record.sql"
    )))
    .bind(table)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(DbError::query(
        "reading the queue's newest event per record",
    ))?;
    rows.iter()
        .map(|row| {
            let decode = || DbError::query("decoding queue records");
            Ok(NewestEvent {
                record_id: row.try_get(0).map_err(decode())?,
                queue_id: row.try_get(1).map_err(decode())?,
                op: row.try_get(2).map_err(decode())?,
                delivered: row.try_get::<bool, _>(3).map_err(decode())?,
            })
        })
        .collect()
}

//! A backfill's progress row in `certyo_queue_backfill`: read (locked until the
//! caller's transaction ends) and started or restarted.

use chrono::{DateTime, Utc};
use sqlx::mysql::MySqlConnection;
use sqlx::{Acquire, Row};

use super::BackfillError;
use crate::capture::template::statement;
use crate::error::DbError;

pub(super) struct ProgressRow {
    pub last_key: Option<String>,
    pub rows: u64,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The progress row, locked until the caller's transaction ends.
pub(super) async fn progress_row(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Option<ProgressRow>, BackfillError> {
    let row = sqlx::query(statement(include_str!(
        "../../../sql/backfill_progress_get.sql"
    )))
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("42S02") => {
            BackfillError::NoProgressTable
        }
        _ => DbError::query("reading the backfill progress")(e).into(),
    })?;
    let Some(row) = row else { return Ok(None) };
    let decode = DbError::query("decoding the backfill progress");
    let rows: i64 = row.try_get(1).map_err(decode)?;
    Ok(Some(ProgressRow {
        last_key: row
            .try_get(0)
            .map_err(DbError::query("decoding the backfill progress"))?,
        rows: rows.max(0) as u64,
        finished_at: row
            .try_get(4)
            .map_err(DbError::query("decoding the backfill progress"))?,
    }))
}

/// Start (or restart) the progress row; `Some(finished_at)` when an earlier run finished
/// and `restart` is off.
pub(super) async fn begin(
    conn: &mut MySqlConnection,
    table: &str,
    restart: bool,
) -> Result<Option<DateTime<Utc>>, BackfillError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(DbError::query("starting a transaction"))?;
    let existing = progress_row(&mut tx, table).await?;
    match existing {
        Some(p) if !restart => {
            tx.commit()
                .await
                .map_err(DbError::query("committing the backfill start"))?;
            return Ok(p.finished_at);
        }
        _ => {
            sqlx::query(statement(include_str!(
                "../../../sql/backfill_progress_start.sql"
            )))
            .bind(table)
            .execute(&mut *tx)
            .await
            .map_err(DbError::query("recording the backfill start"))?;
        }
    }
    tx.commit()
        .await
        .map_err(DbError::query("committing the backfill start"))?;
    Ok(None)
}

//! `--mark`: set `certyo_anchor_status = 'Altered'` on rows still altered, in one
//! transaction with the capture marker set, on a connection that is never pooled
//! again unless it ended clean.

use sqlx::mysql::MySqlPool;
use sqlx::pool::PoolConnection;
use sqlx::{Acquire, Executor, MySql};

use super::table_sql::TableSql;
use super::AuditError;
use crate::capture::template::fill;
use crate::error::DbError;

/// Holds the marking connection; unless disarmed, detaches it from the pool on drop,
/// so a set capture marker (or an open transaction) dies with the socket.
struct MarkerGuard(Option<PoolConnection<MySql>>);

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// `--mark`: set 'Altered' on the rows `keys` that are still altered; returns how many.
pub(super) async fn mark(
    pool: &MySqlPool,
    sql: &TableSql,
    keys: &[Vec<String>],
) -> Result<u64, AuditError> {
    let conn = pool
        .acquire()
        .await
        .map_err(DbError::query("connecting to mark altered rows"))?;
    let mut guard = MarkerGuard(Some(conn));
    let Some(conn) = guard.0.as_mut() else {
        return Ok(0);
    };
    let mut tx = conn
        .begin()
        .await
        .map_err(DbError::query("beginning the mark"))?;
    tx.execute(include_str!(
        "../../../sql/session_writeback_marker_set.sql"
    ))
    .await
    .map_err(DbError::query("setting the capture marker"))?;
    let rows = sql.rows(keys);
    let mark_sql = fill(&sql.mark, &[("keys", &rows.text)]);
    let marked = sql
        .bind(
            sqlx::query(sqlx::AssertSqlSafe(mark_sql.as_str())),
            &rows.binds,
        )
        .execute(&mut *tx)
        .await
        .map_err(DbError::query("marking altered rows"))?
        .rows_affected();
    tx.execute(include_str!(
        "../../../sql/session_writeback_marker_clear.sql"
    ))
    .await
    .map_err(DbError::query("clearing the capture marker"))?;
    tx.commit()
        .await
        .map_err(DbError::query("committing the mark"))?;
    // Marker cleared and committed: the connection is clean, return it to the pool.
    drop(guard.0.take());
    Ok(marked)
}

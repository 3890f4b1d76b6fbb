//! Writing a round's marks on the source rows in one short transaction, each
//! conditional on the row still being the version read, with the trigger guard
//! `@certyo_queue_writeback` set (and cleared before the commit).

use std::time::Duration;

use sqlx::Acquire;

use super::candidates::Candidate;
use super::table_sql::TableSql;
use super::{micros, Verifier, VerifyReport};
use crate::error::DbError;

/// What to write for one row.
pub(super) enum VerifyMark {
    Anchored,
    Later(Duration),
    Failed,
}

impl Verifier {
    pub(super) async fn write(
        &self,
        sql: &TableSql,
        candidates: &[Candidate],
        writes: &[(usize, VerifyMark)],
        report: &mut VerifyReport,
    ) -> Result<(), DbError> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the verification write-back"))?;
        let counts = write_back(&mut conn, sql, candidates, writes).await;
        match counts {
            Ok((anchored, not_yet, failed, superseded)) => {
                report.anchored += anchored;
                report.not_yet += not_yet;
                report.failed += failed;
                report.superseded += superseded;
                Ok(())
            }
            Err(e) => {
                // The trigger guard may still be set on this session: never pool it again.
                conn.close_on_drop();
                Err(e)
            }
        }
    }
}

async fn write_back(
    conn: &mut sqlx::MySqlConnection,
    sql: &TableSql,
    candidates: &[Candidate],
    writes: &[(usize, VerifyMark)],
) -> Result<(u64, u64, u64, u64), DbError> {
    let ctx = "writing verification results";
    let mut tx = conn.begin().await.map_err(DbError::query(ctx))?;
    sqlx::query(include_str!(
        "../../../sql/session_writeback_marker_set.sql"
    ))
    .execute(&mut *tx)
    .await
    .map_err(DbError::query(ctx))?;
    let (mut anchored, mut not_yet, mut failed, mut superseded) = (0, 0, 0, 0);
    for (i, outcome) in writes {
        let row = &candidates[*i];
        let mut q = match outcome {
            VerifyMark::Anchored => sqlx::query(sqlx::AssertSqlSafe(sql.anchored.as_str())),
            VerifyMark::Later(delay) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.later.as_str())).bind(micros(*delay))
            }
            VerifyMark::Failed => sqlx::query(sqlx::AssertSqlSafe(sql.failed.as_str())),
        };
        for v in &row.pk {
            q = q.bind(v);
        }
        let done = q
            .bind(row.ingested_at)
            .execute(&mut *tx)
            .await
            .map_err(DbError::query(ctx))?;
        if done.rows_affected() == 0 {
            superseded += 1;
            continue;
        }
        match outcome {
            VerifyMark::Anchored => anchored += 1,
            VerifyMark::Later(_) => not_yet += 1,
            VerifyMark::Failed => failed += 1,
        }
    }
    sqlx::query(include_str!(
        "../../../sql/session_writeback_marker_clear.sql"
    ))
    .execute(&mut *tx)
    .await
    .map_err(DbError::query(ctx))?;
    tx.commit().await.map_err(DbError::query(ctx))?;
    Ok((anchored, not_yet, failed, superseded))
}

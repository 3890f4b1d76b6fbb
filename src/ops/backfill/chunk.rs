//! One backfill chunk in one transaction: lock the progress row, find the chunk's end,
//! `INSERT … SELECT` its rows into the queue, record the new last key, commit.

use sqlx::mysql::{MySqlArguments, MySqlConnection};
use sqlx::query::Query;
use sqlx::{Acquire, MySql, Row};

use super::progress::progress_row;
use super::table_sql::TableSql;
use super::BackfillError;
use crate::capture::template::{fill, statement};
use crate::capture::{render, TableShape};
use crate::error::DbError;

pub(super) enum Chunk {
    Enqueued { rows: u64, total: u64 },
    Done { total: u64 },
}

/// One chunk in one transaction.
pub(super) async fn chunk(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    shape: &TableShape,
    batch: usize,
) -> Result<Chunk, BackfillError> {
    let table = shape.name.as_str();
    let mut tx = conn
        .begin()
        .await
        .map_err(DbError::query("starting a backfill chunk"))?;
    let progress =
        progress_row(&mut tx, table)
            .await?
            .ok_or_else(|| BackfillError::BadProgress {
                table: table.to_string(),
                reason: "the progress row was deleted during the run".into(),
            })?;
    if progress.finished_at.is_some() {
        return Ok(Chunk::Done {
            total: progress.rows,
        });
    }
    let last: Option<Vec<String>> = match &progress.last_key {
        None => None,
        Some(text) => Some(
            serde_json::from_str(text).map_err(|e| BackfillError::BadProgress {
                table: table.to_string(),
                reason: e.to_string(),
            })?,
        ),
    };
    if last.as_ref().is_some_and(|k| k.len() != shape.pk.len()) {
        return Err(BackfillError::BadProgress {
            table: table.to_string(),
            reason: "the primary key changed since the backfill started".into(),
        });
    }
    let after = sql.after(last.as_deref());
    let end_sql = fill(&sql.chunk_end, &[("after", &after.text)]);
    let mut q = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(end_sql.as_str())),
        &after.binds,
        shape,
    );
    q = q.bind((batch - 1) as i64);
    let mut end = read_key(q.fetch_optional(&mut *tx).await, shape.pk.len())?;
    if end.is_none() {
        let last_sql = fill(&sql.last_key, &[("after", &after.text)]);
        let q = bind_all(
            sqlx::query(sqlx::AssertSqlSafe(last_sql.as_str())),
            &after.binds,
            shape,
        );
        end = read_key(q.fetch_optional(&mut *tx).await, shape.pk.len())?;
    }
    let Some(end) = end else {
        sqlx::query(statement(include_str!(
            "../../../sql/backfill_progress_finish.sql"
        )))
        .bind(table)
        .execute(&mut *tx)
        .await
        .map_err(DbError::query("recording the backfill's end"))?;
        tx.commit()
            .await
            .map_err(DbError::query("committing the backfill's end"))?;
        return Ok(Chunk::Done {
            total: progress.rows,
        });
    };
    let upto = sql.upto(&end);
    let insert = fill(
        &sql.enqueue,
        &[("after", &after.text), ("upto", &upto.text)],
    );
    let mut q = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(insert.as_str())),
        &after.binds,
        shape,
    );
    q = bind_all(q, &upto.binds, shape);
    let rows = q
        .execute(&mut *tx)
        .await
        .map_err(DbError::query("enqueueing a backfill chunk"))?
        .rows_affected();
    let end_json = serde_json::to_string(&end).map_err(|e| BackfillError::BadProgress {
        table: table.to_string(),
        reason: e.to_string(),
    })?;
    sqlx::query(statement(include_str!(
        "../../../sql/backfill_progress_advance.sql"
    )))
    .bind(end_json)
    .bind(rows as i64)
    .bind(table)
    .execute(&mut *tx)
    .await
    .map_err(DbError::query("recording backfill progress"))?;
    tx.commit()
        .await
        .map_err(DbError::query("committing a backfill chunk"))?;
    Ok(Chunk::Enqueued {
        rows,
        total: progress.rows + rows,
    })
}

fn read_key(
    row: Result<Option<sqlx::mysql::MySqlRow>, sqlx::Error>,
    n: usize,
) -> Result<Option<Vec<String>>, BackfillError> {
    let Some(row) = row.map_err(DbError::query("finding the end of a backfill chunk"))? else {
        return Ok(None);
    };
    (0..n)
        .map(|i| row.try_get::<String, _>(i))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
        .map_err(|e| DbError::query("decoding a primary key")(e).into())
}

/// A key value bound as the column's kind: integers for integer-looking values of
/// non-text columns (exact beyond 2^53, where text would compare as a double).
fn bind_all<'q>(
    mut q: Query<'q, MySql, MySqlArguments>,
    binds: &[(usize, String)],
    shape: &TableShape,
) -> Query<'q, MySql, MySqlArguments> {
    for (col, value) in binds {
        let text_column = shape
            .pk
            .get(*col)
            .and_then(|name| shape.columns.iter().find(|c| &c.name == name))
            .is_none_or(|c| c.text || render::key_is_hex(c));
        q = if text_column {
            q.bind(value.clone())
        } else if let Ok(i) = value.parse::<i64>() {
            q.bind(i)
        } else if let Ok(u) = value.parse::<u64>() {
            q.bind(u)
        } else {
            q.bind(value.clone())
        };
    }
    q
}

//! One backfill chunk: lock the progress row, find the chunk's end, hold the chunk's
//! rows with a shared lock that skips the rows an application transaction holds,
//! `INSERT … SELECT` the held rows into the queue, record the new last key, commit.
//!
//! Why the lock: a row enqueued here is its newest committed version and stays so
//! until this chunk commits, so any later change of it is queued (by its trigger, or
//! by the binlog reader, after its commit) with a higher queue id and delivered after
//! this event; without it the chunk could read an older version than a change already
//! queued and deliver the older one last. Why skip: a chunk never waits for an
//! application's lock, so it cannot deadlock with one. A skipped row is enqueued after
//! the chunk commits, each in a transaction of its own that waits for the row's lock
//! and holds nothing else; the chunk's progress is recorded after those, so a crash in
//! between repeats the chunk (every row then queued twice, none lost).

use std::collections::HashSet;

use sqlx::mysql::{MySqlArguments, MySqlConnection};
use sqlx::query::Query;
use sqlx::{Acquire, MySql, Row};
use tokio_util::sync::CancellationToken;

use super::progress::progress_row;
use super::table_sql::{Predicate, TableSql};
use super::BackfillError;
use crate::capture::template::{fill, statement};
use crate::capture::{render, TableShape};
use crate::db::{self, DbErrorKind};
use crate::error::DbError;

pub(super) enum Chunk {
    Enqueued {
        rows: u64,
        total: u64,
    },
    Done {
        total: u64,
    },
    /// Stopped while waiting for a row an application holds: the chunk's held rows are
    /// enqueued, its progress is not recorded (the next run repeats it).
    Stopped {
        rows: u64,
    },
}

/// One chunk: one transaction, and one more per row an application held.
pub(super) async fn chunk(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    shape: &TableShape,
    batch: usize,
    stop: &CancellationToken,
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
    let held = keys(&mut tx, sql, sql.skip_locked, &after, &upto, shape).await?;
    let mut rows = enqueue(&mut tx, sql, &after, &upto, shape).await?;
    let present = keys(&mut tx, sql, "", &after, &upto, shape).await?;
    let held: HashSet<Vec<String>> = held.into_iter().collect();
    let skipped: Vec<Vec<String>> = present.into_iter().filter(|k| !held.contains(k)).collect();
    let end_json = serde_json::to_string(&end).map_err(|e| BackfillError::BadProgress {
        table: table.to_string(),
        reason: e.to_string(),
    })?;
    if !skipped.is_empty() {
        tx.commit()
            .await
            .map_err(DbError::query("committing a backfill chunk's held rows"))?;
        tracing::debug!(
            event = "backfill.rows_held",
            table,
            rows = skipped.len(),
            "backfill.rows_held: {} rows held by other transactions, enqueued once free",
            skipped.len()
        );
        for key in &skipped {
            match enqueue_when_free(conn, sql, shape, key, stop).await? {
                Some(n) => rows += n,
                None => return Ok(Chunk::Stopped { rows }),
            }
        }
        tx = conn
            .begin()
            .await
            .map_err(DbError::query("starting a backfill chunk's end"))?;
        let again = progress_row(&mut tx, table).await?;
        if again.as_ref().map(|p| &p.last_key) != Some(&progress.last_key) {
            // Another run moved past this chunk meanwhile: its count stands.
            return Ok(Chunk::Enqueued {
                rows,
                total: again.map_or(progress.rows, |p| p.rows),
            });
        }
    }
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

/// The keys of the rows in `after AND upto`, read with `lock` (a lock clause, or "").
async fn keys(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    lock: &str,
    after: &Predicate,
    upto: &Predicate,
    shape: &TableShape,
) -> Result<Vec<Vec<String>>, BackfillError> {
    let text = fill(
        &sql.keys,
        &[("after", &after.text), ("upto", &upto.text), ("lock", lock)],
    );
    let q = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(text.as_str())),
        &after.binds,
        shape,
    );
    let rows = bind_all(q, &upto.binds, shape)
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("reading a backfill chunk's keys"))?;
    rows.iter().map(|row| key_of(row, shape.pk.len())).collect()
}

/// Enqueue the rows in `after AND upto` that this transaction holds or can hold
/// without waiting; the rows enqueued.
async fn enqueue(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    after: &Predicate,
    upto: &Predicate,
    shape: &TableShape,
) -> Result<u64, BackfillError> {
    let text = fill(
        &sql.enqueue,
        &[
            ("after", &after.text),
            ("upto", &upto.text),
            ("lock", sql.skip_locked),
        ],
    );
    let q = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(text.as_str())),
        &after.binds,
        shape,
    );
    Ok(bind_all(q, &upto.binds, shape)
        .execute(&mut *conn)
        .await
        .map_err(DbError::query("enqueueing a backfill chunk"))?
        .rows_affected())
}

/// One row the chunk skipped: wait for its lock (holding nothing else), then enqueue
/// its newest version, or nothing if it is gone. `None`: stopped while waiting.
async fn enqueue_when_free(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    shape: &TableShape,
    key: &[String],
    stop: &CancellationToken,
) -> Result<Option<u64>, BackfillError> {
    let one = sql.equal(key);
    let all = sql.everything();
    loop {
        let mut tx = conn
            .begin()
            .await
            .map_err(DbError::query("starting a backfill of a held row"))?;
        let waited = tokio::select! {
            r = keys(&mut tx, sql, sql.wait, &one, &all, shape) => r,
            () = stop.cancelled() => return Ok(None),
        };
        let found = match waited {
            Ok(found) => found,
            Err(BackfillError::Db(DbError::Query { source, .. }))
                if db::classify(&source) == DbErrorKind::LockConflict =>
            {
                drop(tx);
                tracing::info!(
                    event = "backfill.waiting",
                    table = %shape.name,
                    "backfill.waiting: an application transaction still holds a row of `{}`; waiting again",
                    shape.name
                );
                continue;
            }
            Err(e) => return Err(e),
        };
        let rows = if found.is_empty() {
            0
        } else {
            enqueue(&mut tx, sql, &one, &all, shape).await?
        };
        tx.commit()
            .await
            .map_err(DbError::query("committing a backfill of a held row"))?;
        return Ok(Some(rows));
    }
}

fn read_key(
    row: Result<Option<sqlx::mysql::MySqlRow>, sqlx::Error>,
    n: usize,
) -> Result<Option<Vec<String>>, BackfillError> {
    match row.map_err(DbError::query("finding the end of a backfill chunk"))? {
        None => Ok(None),
        Some(row) => key_of(&row, n).map(Some),
    }
}

/// The `n` key columns of a row, as text.
fn key_of(row: &sqlx::mysql::MySqlRow, n: usize) -> Result<Vec<String>, BackfillError> {
    (0..n)
        .map(|i| row.try_get::<String, _>(i))
        .collect::<Result<Vec<_>, _>>()
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

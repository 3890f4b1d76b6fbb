//! One page of a polled table, in the caller's transaction: lock the checkpoint, read
//! the window after the cursor, keep the versions not enqueued yet, enqueue them and
//! record their digests, advance the checkpoint.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use sqlx::mysql::{MySqlConnection, MySqlRow};
use sqlx::Row;

use super::super::template::{fill, fragment, statement};
use super::statements::{bind_all, Bind, Cursor};
use super::{db, CaptureError, Checkpoint, PollSql, FRAGMENTS};

/// One row version read from the window.
#[derive(Debug, Clone)]
pub struct PolledRow {
    pub key: Vec<String>,
    pub stamp: NaiveDateTime,
    pub record_id: String,
    pub payload: String,
    pub digest: String,
}

/// What one page did.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub read: usize,
    pub enqueued: u64,
    pub last: Option<Cursor>,
    pub high: Option<NaiveDateTime>,
    pub low: Option<NaiveDateTime>,
}

/// One page, in the caller's transaction (or, under LOCK TABLES, in autocommit
/// statements): see the module doc. `clamp` caps the new high stamp (the database
/// clock, for TIMESTAMP columns), so a stamp set in the future cannot move the window
/// past rows still to come. Returns None when the table has no checkpoint, and
/// `Err(Changed)` when a row changed between the page's read and its enqueue: roll the
/// transaction back and run the page again.
pub async fn poll_page(
    conn: &mut MySqlConnection,
    sql: &PollSql,
    lag: std::time::Duration,
    cursor: Option<&Cursor>,
    batch: usize,
    clamp: Option<NaiveDateTime>,
) -> Result<Option<Result<Page, Changed>>, CaptureError> {
    let table = sql.table.as_str();
    let row: Option<(NaiveDateTime, Option<NaiveDateTime>)> =
        sqlx::query_as(include_str!("../../../sql/poll_checkpoint_get.sql"))
            .bind(table)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db("reading the poll checkpoint"))?;
    let Some((floor, high)) = row else {
        return Ok(None);
    };
    let ck = Checkpoint { floor, high };
    let low = ck.window_low(lag);
    let (after, binds) = sql.after(cursor);
    let read_sql = fill(&sql.read, &[("after", &after)]);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(read_sql.as_str())).bind(low);
    q = bind_all(q, binds);
    let rows = q
        .bind(batch as i64)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("reading the polled table's window"))?;
    let key_len = sql.key_cols.len();
    let decode = |r: &MySqlRow| -> Result<PolledRow, sqlx::Error> {
        let mut key = Vec::with_capacity(key_len);
        for i in 0..key_len {
            key.push(r.try_get::<String, _>(i)?);
        }
        Ok(PolledRow {
            key,
            stamp: r.try_get("stamp")?,
            record_id: r.try_get("record_id")?,
            payload: r.try_get("payload")?,
            digest: r.try_get("digest")?,
        })
    };
    let rows: Vec<PolledRow> = rows
        .iter()
        .map(decode)
        .collect::<Result<_, _>>()
        .map_err(db("decoding polled rows"))?;
    let fresh = unseen(conn, table, &rows).await?;
    if !fresh.is_empty() && enqueue(conn, sql, &fresh).await?.is_err() {
        return Ok(Some(Err(Changed)));
    }
    let mut new_high = ck.high;
    if let Some(last) = rows.last() {
        let stamp = clamp.map_or(last.stamp, |c| last.stamp.min(c));
        new_high = Some(new_high.map_or(stamp, |h| h.max(stamp)));
    }
    sqlx::query(include_str!("../../../sql/poll_checkpoint_advance.sql"))
        .bind(new_high)
        .bind(fresh.len() as i64)
        .bind(table)
        .execute(&mut *conn)
        .await
        .map_err(db("advancing the poll checkpoint"))?;
    Ok(Some(Ok(Page {
        read: rows.len(),
        enqueued: fresh.len() as u64,
        last: rows.last().map(|r| Cursor {
            stamp: r.stamp,
            key: r.key.clone(),
        }),
        high: new_high,
        low: Some(
            Checkpoint {
                floor: ck.floor,
                high: new_high,
            }
            .window_low(lag),
        ),
    })))
}

/// The rows whose version was not enqueued yet.
async fn unseen<'a>(
    conn: &mut MySqlConnection,
    table: &str,
    rows: &'a [PolledRow],
) -> Result<Vec<&'a PolledRow>, CaptureError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = vec!["?"; rows.len()].join(", ");
    let sql = fill(
        statement(include_str!("../../../sql/poll_seen_get.sql")),
        &[("ids", &ids)],
    );
    let mut q =
        sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql.as_str())).bind(table);
    for r in rows {
        q = q.bind(&r.record_id);
    }
    let seen: HashMap<String, String> = q
        .fetch_all(&mut *conn)
        .await
        .map_err(db("reading the versions already enqueued"))?
        .into_iter()
        .collect();
    Ok(rows
        .iter()
        .filter(|r| seen.get(&r.record_id) != Some(&r.digest))
        .collect())
}

/// Enqueue `rows` and record their digests. Err(Changed) when a row changed since it
/// was read (fewer rows enqueued than asked): the caller rolls the page back.
async fn enqueue(
    conn: &mut MySqlConnection,
    sql: &PollSql,
    rows: &[&PolledRow],
) -> Result<Result<(), Changed>, CaptureError> {
    let table = sql.table.as_str();
    let one_key = sql
        .key_cols
        .iter()
        .zip(&sql.key_params)
        .map(|(c, p)| fill(fragment(&FRAGMENTS, "eq"), &[("col", c), ("param", p)]))
        .collect::<Vec<_>>()
        .join(" AND ");
    let row_keys = fill(fragment(&FRAGMENTS, "all_of"), &[("terms", &one_key)]);
    let keys = vec![row_keys; rows.len()].join(" OR ");
    let digests = vec!["?"; rows.len()].join(", ");
    let insert = fill(&sql.enqueue, &[("keys", &keys), ("digests", &digests)]);
    let mut binds = Vec::new();
    for r in rows {
        for (i, k) in r.key.iter().enumerate() {
            binds.push(Bind::Key(
                k.clone(),
                sql.key_text.get(i).copied().unwrap_or(true),
            ));
        }
    }
    let mut q = bind_all(sqlx::query(sqlx::AssertSqlSafe(insert.as_str())), binds);
    for r in rows {
        q = q.bind(&r.digest);
    }
    let done = q
        .execute(&mut *conn)
        .await
        .map_err(db("enqueueing polled rows"))?;
    if done.rows_affected() != rows.len() as u64 {
        return Ok(Err(Changed));
    }
    let values = vec![fragment(&FRAGMENTS, "seen_row"); rows.len()].join(", ");
    let sql = fill(
        statement(include_str!("../../../sql/poll_seen_upsert.sql")),
        &[("values", &values)],
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for r in rows {
        q = q
            .bind(table)
            .bind(&r.record_id)
            .bind(r.stamp)
            .bind(&r.digest);
    }
    q.execute(&mut *conn)
        .await
        .map_err(db("recording the versions enqueued"))?;
    Ok(Ok(()))
}

/// A row of the page changed between its read and its enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed;

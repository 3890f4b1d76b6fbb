//! Capture by polling a timestamp column, for tables that may not have triggers: the
//! checks `migrate --capture poll` makes, and every statement the poller runs on the
//! polled table and its bookkeeping (`certyo_capture_poll`, `certyo_capture_poll_seen`,
//! migration V9). The loop that runs them is `tasks::poll`.
//!
//! How a page works (`poll_page`, inside the caller's transaction):
//! 1. lock the table's checkpoint row (two pollers take turns, page by page);
//! 2. read, without locks, the rows whose poll column is at least the window's low end
//!    `max(floor, high - lag)`, after the page cursor, in (column, key) order: each
//!    with its record id and payload rendered exactly as the capture triggers render
//!    them (same fragments), and a digest of its compared columns;
//! 3. keep the rows whose digest differs from the one last enqueued for that record
//!    (`certyo_capture_poll_seen`), enqueue them as `upsert` events, record their
//!    digests, advance `high` to the newest stamp read, all in that one transaction.
//!
//! Why this loses nothing the guide's poller loses:
//! - rows sharing the checkpoint's stamp: the window starts `lag` before the newest
//!   stamp and compares with `>=`, and the page cursor includes the primary key;
//! - a transaction that stamped its rows earlier but commits after later-stamped ones:
//!   re-read while its stamp is within `lag` of the newest stamp (the lag must exceed
//!   the longest time between a row's stamp and its commit, see the README);
//! - a crash: enqueue and checkpoint commit together; the seen digests make the
//!   re-read window enqueue each version once.
//!
//! The digest leaves out the poll column, ON UPDATE CURRENT_TIMESTAMP columns and
//! generated columns (the triggers do not compare them either), so a write that only
//! moves the stamp (the user's own "touch", or a trigger of theirs) is not a new
//! version, and the worker's write-back, which changes only `certyo_*` columns and pins
//! ON UPDATE columns, is never polled again.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use sqlx::mysql::{MySqlArguments, MySqlConnection, MySqlRow};
use sqlx::query::Query;
use sqlx::{MySql, Row};

use super::introspect::TableShape;
use super::template::{fill, fragment, fragments, quote_ident, statement};
use super::{render, triggers, CaptureError};

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/poll_fragments.sql")));

/// The poll column unless `--poll-column` says otherwise.
pub const DEFAULT_COLUMN: &str = "updated_at";

/// How a table is polled: its registry options (`certyo_capture.options`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PollSpec {
    pub poll_column: String,
    /// The application maintains the column on every update (no ON UPDATE clause).
    #[serde(default)]
    pub poll_column_trusted: bool,
}

impl PollSpec {
    /// The registry's options text, None when it is not a poll spec.
    pub fn from_options(options: Option<&str>) -> Option<PollSpec> {
        options.and_then(|o| serde_json::from_str(o).ok())
    }

    pub fn to_options(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// What `migrate --capture poll` found out about the poll column.
#[derive(Debug, Clone)]
pub struct PollCheck {
    /// The column's name as the table spells it.
    pub column: String,
    /// `CREATE INDEX` to run first (`--create-index` and no index led by the column).
    pub create_index: Option<String>,
}

/// Refuse a poll column that cannot find every change: missing, not a TIMESTAMP or
/// DATETIME, not maintained on update (no ON UPDATE CURRENT_TIMESTAMP, not
/// `trusted`), or without an index led by it (unless `create_index`).
pub async fn check(
    conn: &mut MySqlConnection,
    schema: &str,
    shape: &TableShape,
    spec: &PollSpec,
    create_index: bool,
) -> Result<PollCheck, CaptureError> {
    let table = shape.name.clone();
    let col = shape
        .column(&spec.poll_column)
        .or_else(|| {
            shape
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&spec.poll_column))
        })
        .ok_or_else(|| CaptureError::PollColumnMissing {
            table: table.clone(),
            column: spec.poll_column.clone(),
        })?;
    if !matches!(col.data_type.as_str(), "timestamp" | "datetime") || col.is_tracking() {
        return Err(CaptureError::PollColumnType {
            table,
            column: col.name.clone(),
            column_type: col.column_type.clone(),
        });
    }
    if !col.on_update && !spec.poll_column_trusted {
        return Err(CaptureError::PollColumnNotMaintained {
            table,
            column: col.name.clone(),
        });
    }
    let rows = sqlx::query(include_str!("../../sql/poll_column_indexes.sql"))
        .bind(schema)
        .bind(&shape.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's indexes from information_schema",
        ))?;
    let mut indexed = false;
    for row in rows {
        let decode = || CaptureError::db("decoding indexes");
        let t: String = row.try_get(0).map_err(decode())?;
        let c: String = row.try_get(2).map_err(decode())?;
        if t == shape.name && c.eq_ignore_ascii_case(&col.name) {
            indexed = true;
        }
    }
    let index_sql = fill(
        statement(include_str!("../../sql/poll_create_index.sql")),
        &[
            ("table", &quote_ident(&shape.name)),
            ("column", &quote_ident(&col.name)),
        ],
    );
    if !indexed && !create_index {
        return Err(CaptureError::PollIndexMissing {
            table,
            column: col.name.clone(),
            create_index: index_sql,
        });
    }
    Ok(PollCheck {
        column: col.name.clone(),
        create_index: (!indexed).then_some(index_sql),
    })
}

/// The poller's statements for one table shape and poll column.
#[derive(Debug, Clone)]
pub struct PollSql {
    pub table: String,
    /// poll_read_window.sql with `{after}` open.
    read: String,
    /// poll_enqueue.sql with `{keys}` and `{digests}` open.
    enqueue: String,
    seed: String,
    /// Per key column: its qualified, quoted name and bind marker.
    key_cols: Vec<String>,
    key_params: Vec<&'static str>,
    /// Per key column: bound as text (text and hex-kept binary keys), else as integer
    /// when it parses as one (exact beyond 2^53).
    key_text: Vec<bool>,
    column: String,
    /// TIMESTAMP (an instant, comparable with the database clock) rather than DATETIME.
    pub instant: bool,
}

impl PollSql {
    pub fn new(shape: &TableShape, poll_column: &str) -> Result<PollSql, CaptureError> {
        let table = quote_ident(&shape.name);
        let col = shape
            .column(poll_column)
            .ok_or_else(|| CaptureError::PollColumnMissing {
                table: shape.name.clone(),
                column: poll_column.to_string(),
            })?;
        let column = format!("{table}.{}", quote_ident(poll_column));
        let key = shape.key_columns();
        let key_cols: Vec<String> = key
            .iter()
            .map(|c| format!("{table}.{}", quote_ident(&c.name)))
            .collect();
        let hex: Vec<bool> = key.iter().map(|c| render::key_is_hex(c)).collect();
        let key_text: Vec<bool> = key
            .iter()
            .map(|c| c.text || render::key_is_hex(c))
            .collect();
        let key_select = key_cols
            .iter()
            .zip(&hex)
            .enumerate()
            .map(|(i, (c, &h))| {
                let f = fill(
                    fragment(&FRAGMENTS, if h { "key_hex" } else { "key_text" }),
                    &[("col", c)],
                );
                format!("{f} AS k{i}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let record_id = triggers::record_id(shape, &table)?;
        let payload = triggers::payload(shape, &table)?;
        let mut compared = shape.clone();
        compared
            .columns
            .retain(|c| !(c.on_update || c.generated || c.name == poll_column));
        let digest = triggers::payload(&compared, &table)?;
        let values = [
            ("key_text", key_select.as_str()),
            ("column", column.as_str()),
            ("record_id", record_id.as_str()),
            ("payload", payload.as_str()),
            ("digest", digest.as_str()),
            ("table", table.as_str()),
            ("table_name", shape.name.as_str()),
            ("order", &key_cols.join(", ")),
            ("after", "{after}"),
            ("keys", "{keys}"),
            ("digests", "{digests}"),
        ];
        Ok(PollSql {
            table: shape.name.clone(),
            read: fill(
                statement(include_str!("../../sql/poll_read_window.sql")),
                &values,
            ),
            seed: fill(
                statement(include_str!("../../sql/poll_seed_seen.sql")),
                &values,
            ),
            enqueue: fill(
                statement(include_str!("../../sql/poll_enqueue.sql")),
                &values,
            ),
            key_params: hex
                .iter()
                .map(|&h| fragment(&FRAGMENTS, if h { "param_hex" } else { "param" }))
                .collect(),
            key_cols,
            key_text,
            column,
            instant: col.data_type == "timestamp",
        })
    }

    /// `(column, key) > cursor` as a union of ranges, with its binds in order.
    fn after(&self, cursor: Option<&Cursor>) -> (String, Vec<Bind>) {
        let Some(cursor) = cursor else {
            return (fragment(&FRAGMENTS, "everything").to_string(), Vec::new());
        };
        let mut cols: Vec<(&str, &str, Option<usize>)> = vec![(&self.column, "?", None)];
        for (i, (c, p)) in self.key_cols.iter().zip(&self.key_params).enumerate() {
            cols.push((c, p, Some(i)));
        }
        let bind = |pos: Option<usize>| match pos {
            None => Bind::Stamp(cursor.stamp),
            Some(i) => Bind::Key(
                cursor.key.get(i).cloned().unwrap_or_default(),
                self.key_text.get(i).copied().unwrap_or(true),
            ),
        };
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for i in 0..cols.len() {
            let mut terms = Vec::new();
            for &(col, param, pos) in cols.iter().take(i) {
                terms.push(fill(
                    fragment(&FRAGMENTS, "eq"),
                    &[("col", col), ("param", param)],
                ));
                binds.push(bind(pos));
            }
            let (col, param, pos) = cols[i];
            terms.push(fill(
                fragment(&FRAGMENTS, "gt"),
                &[("col", col), ("param", param)],
            ));
            binds.push(bind(pos));
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        (format!("({})", alternatives.join(" OR ")), binds)
    }
}

enum Bind {
    Stamp(NaiveDateTime),
    /// A key value, and whether it is bound as text.
    Key(String, bool),
}

fn bind_all<'q>(
    mut q: Query<'q, MySql, MySqlArguments>,
    binds: Vec<Bind>,
) -> Query<'q, MySql, MySqlArguments> {
    for b in binds {
        q = match b {
            Bind::Stamp(s) => q.bind(s),
            Bind::Key(v, true) => q.bind(v),
            Bind::Key(v, false) => {
                if let Ok(i) = v.parse::<i64>() {
                    q.bind(i)
                } else if let Ok(u) = v.parse::<u64>() {
                    q.bind(u)
                } else {
                    q.bind(v)
                }
            }
        };
    }
    q
}

/// Where a page ended: the last row's stamp and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub stamp: NaiveDateTime,
    pub key: Vec<String>,
}

/// One row version read from the window.
#[derive(Debug, Clone)]
pub struct PolledRow {
    pub key: Vec<String>,
    pub stamp: NaiveDateTime,
    pub record_id: String,
    pub payload: String,
    pub digest: String,
}

/// A table's checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    pub floor: NaiveDateTime,
    pub high: Option<NaiveDateTime>,
}

impl Checkpoint {
    /// The low end of the trailing window: `lag` before the newest stamp, never below
    /// the floor.
    pub fn window_low(&self, lag: std::time::Duration) -> NaiveDateTime {
        let lag = chrono::Duration::from_std(lag).unwrap_or(chrono::Duration::MAX);
        match self.high {
            None => self.floor,
            Some(h) => h
                .checked_sub_signed(lag)
                .map_or(self.floor, |l| l.max(self.floor)),
        }
    }
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

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> CaptureError {
    CaptureError::db(context)
}

/// The database clock (UTC session): (one second ago, now).
pub async fn db_now(
    conn: &mut MySqlConnection,
) -> Result<(NaiveDateTime, NaiveDateTime), CaptureError> {
    sqlx::query_as(include_str!("../../sql/poll_now.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(db("reading the database clock"))
}

/// Start polling `table` from `floor`, keeping an existing checkpoint.
pub async fn checkpoint_start(
    conn: &mut MySqlConnection,
    table: &str,
    floor: NaiveDateTime,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../sql/poll_checkpoint_start.sql"))
        .bind(table)
        .bind(floor)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the poll checkpoint (certyo_capture_poll)"))?;
    Ok(())
}

/// Restart polling `table` at (`floor`, `high`), forgetting the versions seen before.
pub async fn checkpoint_reset(
    conn: &mut MySqlConnection,
    table: &str,
    floor: NaiveDateTime,
    high: NaiveDateTime,
) -> Result<(), CaptureError> {
    forget(conn, table, false).await?;
    sqlx::query(include_str!("../../sql/poll_checkpoint_reset.sql"))
        .bind(table)
        .bind(floor)
        .bind(high)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the poll checkpoint (certyo_capture_poll)"))?;
    Ok(())
}

/// Forget the versions seen for `table` and, with `checkpoint`, its checkpoint.
pub async fn forget(
    conn: &mut MySqlConnection,
    table: &str,
    checkpoint: bool,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../sql/poll_seen_clear.sql"))
        .bind(table)
        .execute(&mut *conn)
        .await
        .map_err(db("clearing certyo_capture_poll_seen"))?;
    if checkpoint {
        sqlx::query(include_str!("../../sql/poll_checkpoint_delete.sql"))
            .bind(table)
            .execute(&mut *conn)
            .await
            .map_err(db("removing the poll checkpoint"))?;
    }
    Ok(())
}

/// Record every row stamped at or after `floor` as already enqueued (a table switched
/// from triggers, which enqueued them). Run under the table lock.
pub async fn seed_seen(
    conn: &mut MySqlConnection,
    sql: &PollSql,
    floor: NaiveDateTime,
) -> Result<u64, CaptureError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.seed.as_str()))
        .bind(floor)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the rows the triggers captured"))?;
    Ok(done.rows_affected())
}

/// The SQL of a polled table's lock while its capture source switches.
pub fn lock_statement(table: &str) -> String {
    fill(
        statement(include_str!("../../sql/poll_lock_tables.sql")),
        &[("table", &quote_ident(table))],
    )
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
        sqlx::query_as(include_str!("../../sql/poll_checkpoint_get.sql"))
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
    sqlx::query(include_str!("../../sql/poll_checkpoint_advance.sql"))
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
        statement(include_str!("../../sql/poll_seen_get.sql")),
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
    let keys = vec![format!("({one_key})"); rows.len()].join(" OR ");
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
        statement(include_str!("../../sql/poll_seen_upsert.sql")),
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

/// Forget versions of `table` stamped before `low` (at most `limit`); returns how many.
pub async fn prune(
    conn: &mut MySqlConnection,
    table: &str,
    low: NaiveDateTime,
    limit: u64,
) -> Result<u64, CaptureError> {
    let done = sqlx::query(include_str!("../../sql/poll_seen_prune.sql"))
        .bind(table)
        .bind(low)
        .bind(limit as i64)
        .execute(&mut *conn)
        .await
        .map_err(db("pruning certyo_capture_poll_seen"))?;
    Ok(done.rows_affected())
}

/// Every polled table's checkpoint, for status: (table, floor, high, rows enqueued,
/// last polled). Empty before migration V9.
pub async fn checkpoints(conn: &mut MySqlConnection) -> Result<Vec<CheckpointRow>, CaptureError> {
    let rows = match sqlx::query(include_str!("../../sql/poll_checkpoint_list.sql"))
        .fetch_all(&mut *conn)
        .await
    {
        Ok(rows) => rows,
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42S02") => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(db("reading the poll checkpoints")(e)),
    };
    rows.iter()
        .map(|r| {
            let n: i64 = r.try_get(3)?;
            Ok(CheckpointRow {
                table: r.try_get(0)?,
                floor: r.try_get(1)?,
                high: r.try_get(2)?,
                rows_enqueued: n.max(0) as u64,
                polled_at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db("decoding the poll checkpoints"))
}

#[derive(Debug, Clone)]
pub struct CheckpointRow {
    pub table: String,
    pub floor: NaiveDateTime,
    pub high: Option<NaiveDateTime>,
    pub rows_enqueued: u64,
    pub polled_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_lag_before_the_newest_stamp_but_never_below_the_floor() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let lag = std::time::Duration::from_secs(5);
        let ck = Checkpoint {
            floor: t("2026-01-01 00:00:00"),
            high: Some(t("2026-01-01 00:01:00")),
        };
        assert_eq!(ck.window_low(lag), t("2026-01-01 00:00:55"));
        let young = Checkpoint {
            floor: t("2026-01-01 00:00:58"),
            ..ck
        };
        assert_eq!(young.window_low(lag), t("2026-01-01 00:00:58"));
        let fresh = Checkpoint { high: None, ..ck };
        assert_eq!(fresh.window_low(lag), t("2026-01-01 00:00:00"));
    }

    #[test]
    fn options_round_trip() {
        let spec = PollSpec {
            poll_column: "changed".into(),
            poll_column_trusted: true,
        };
        assert_eq!(PollSpec::from_options(Some(&spec.to_options())), Some(spec));
        assert_eq!(PollSpec::from_options(None), None);
    }
}

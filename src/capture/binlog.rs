//! Capture from the binary log (`migrate --capture binlog`): the server checks `migrate`
//! and the reader make, the reader's checkpoint (`certyo_capture_binlog`, V10), the
//! server's current position, and the enqueue statement. The reader itself is the
//! `binlog` leader job (`tasks::binlog`); rendering of row images is `binlog_render`.
//!
//! Invariants:
//! - Every refusal names the setting or grant and the fix, in one line.
//! - The checkpoint is a transaction boundary (the end of a commit event) in one binary
//!   log file; it is advanced only in the transaction that enqueues what was read up to
//!   it, after locking it and checking it is still where this reader started
//!   ([`lock_checkpoint`]): two readers never both enqueue one change.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::binlog_render::{BinlogTable, Change, ColumnExtra};
use super::introspect::Engine;
use super::template::{fill, fragment, fragments, statement};
use super::{CaptureError, TableShape};

use std::collections::HashMap;
use std::sync::LazyLock;

/// The one reader's name in `certyo_capture_binlog`.
pub const READER: &str = "main";

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/binlog_fragments.sql")));

/// A position in the binary log: the file and the offset of the next event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub file: String,
    pub pos: u64,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.pos)
    }
}

/// What the server says about its binary log.
#[derive(Debug, Clone)]
pub struct BinlogServer {
    pub engine: Engine,
    /// MySQL's `binlog_row_metadata = FULL`: table maps carry column names.
    pub full_metadata: bool,
}

/// Check every server setting and privilege a binlog reader needs; the first missing
/// one is the error (its message says how to fix it).
pub async fn check_server(conn: &mut MySqlConnection) -> Result<BinlogServer, CaptureError> {
    let row = sqlx::query(include_str!("../../sql/binlog_settings.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the binary log settings"))?;
    let decode = CaptureError::db("decoding the binary log settings");
    let log_bin: Option<i64> = row.try_get(0).map_err(decode)?;
    let format: Option<String> = row
        .try_get(1)
        .map_err(CaptureError::db("decoding the binary log settings"))?;
    let image: Option<String> = row
        .try_get(2)
        .map_err(CaptureError::db("decoding the binary log settings"))?;
    let metadata: Option<String> = row
        .try_get(3)
        .map_err(CaptureError::db("decoding the binary log settings"))?;
    let version: String = row
        .try_get(5)
        .map_err(CaptureError::db("decoding the binary log settings"))?;
    let engine = if version.contains("MariaDB") {
        Engine::MariaDb
    } else {
        Engine::MySql
    };
    let setting = |s: &str| CaptureError::BinlogSetting(s.to_string());
    if log_bin != Some(1) {
        return Err(setting(match engine {
            Engine::MariaDb => "binary logging is off (log_bin); start the server with --log-bin --binlog-format=ROW (my.cnf [mariadbd]: log_bin, binlog_format = ROW) and restart it",
            Engine::MySql => "binary logging is off (log_bin); remove --skip-log-bin / --disable-log-bin from the server's options and restart it",
        }));
    }
    if !format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("ROW"))
    {
        return Err(setting(
            "binlog_format is not ROW; run SET PERSIST binlog_format = 'ROW' (MariaDB: SET GLOBAL binlog_format = 'ROW' and binlog_format = ROW in my.cnf)",
        ));
    }
    if !image
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("FULL"))
    {
        return Err(setting(
            "binlog_row_image is not FULL; run SET PERSIST binlog_row_image = 'FULL' (MariaDB: SET GLOBAL binlog_row_image = 'FULL' and in my.cnf)",
        ));
    }
    let full_metadata = metadata
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("FULL"));
    if engine == Engine::MySql {
        if !full_metadata {
            return Err(setting(
                "binlog_row_metadata is not FULL (the reader needs column names in the log to follow ALTER TABLE safely); run SET PERSIST binlog_row_metadata = 'FULL'",
            ));
        }
        let options: Option<String> =
            sqlx::query_scalar(include_str!("../../sql/binlog_settings_mysql.sql"))
                .fetch_one(&mut *conn)
                .await
                .map_err(CaptureError::db("reading binlog_row_value_options"))?;
        if options.as_deref().is_some_and(|o| !o.trim().is_empty()) {
            return Err(setting(
                "binlog_row_value_options is PARTIAL_JSON (JSON updates are logged as diffs); run SET PERSIST binlog_row_value_options = ''",
            ));
        }
    }
    let privileges: Vec<String> =
        sqlx::query_scalar(include_str!("../../sql/binlog_privileges.sql"))
            .fetch_all(&mut *conn)
            .await
            .map_err(CaptureError::db("reading this user's privileges"))?;
    let has = |p: &str| {
        privileges
            .iter()
            .any(|x| x.eq_ignore_ascii_case(p) || x.eq_ignore_ascii_case("ALL PRIVILEGES"))
    };
    if !has("REPLICATION SLAVE") {
        return Err(setting(
            "this user lacks the REPLICATION SLAVE privilege (reading the binary log); GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO the user certyo-queue connects as",
        ));
    }
    let client = match engine {
        Engine::MySql => has("REPLICATION CLIENT"),
        Engine::MariaDb => has("REPLICATION CLIENT") || has("BINLOG MONITOR"),
    };
    if !client {
        return Err(setting(
            "this user lacks the REPLICATION CLIENT privilege (reading binary log positions; BINLOG MONITOR on MariaDB); GRANT REPLICATION CLIENT ON *.* TO the user certyo-queue connects as",
        ));
    }
    Ok(BinlogServer {
        engine,
        full_metadata,
    })
}

/// The server's current position (the end of its binary log).
pub async fn server_position(
    conn: &mut MySqlConnection,
    engine: Engine,
) -> Result<Position, CaptureError> {
    let version: String = sqlx::query_scalar(include_str!("../../sql/session_server_version.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the server version"))?;
    let sql = if engine == Engine::MySql && !mysql_before_8_2(&version) {
        include_str!("../../sql/binlog_position_mysql.sql")
    } else {
        include_str!("../../sql/binlog_position_legacy.sql")
    };
    let row = sqlx::raw_sql(sqlx::AssertSqlSafe(statement(sql).to_string()))
        .fetch_optional(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the binary log position"))?
        .ok_or_else(|| {
            CaptureError::BinlogSetting(
                "the server reports no binary log position (is binary logging on?)".into(),
            )
        })?;
    let file = text(&row, 0)?;
    let pos: u64 = row
        .try_get::<u64, _>(1)
        .or_else(|_| row.try_get::<i64, _>(1).map(|v| v.max(0) as u64))
        .map_err(CaptureError::db("decoding the binary log position"))?;
    Ok(Position { file, pos })
}

fn mysql_before_8_2(version: &str) -> bool {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (8, 2)
}

fn text(row: &sqlx::mysql::MySqlRow, i: usize) -> Result<String, CaptureError> {
    row.try_get::<String, _>(i)
        .or_else(|_| {
            row.try_get::<Vec<u8>, _>(i)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        })
        .map_err(CaptureError::db("decoding a binary log file name"))
}

/// The binary log files the server still has, oldest first, with their sizes.
pub async fn server_logs(conn: &mut MySqlConnection) -> Result<Vec<(String, u64)>, CaptureError> {
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(
        statement(include_str!("../../sql/binlog_logs.sql")).to_string(),
    ))
    .fetch_all(&mut *conn)
    .await
    .map_err(CaptureError::db(
        "listing the binary logs (SHOW BINARY LOGS)",
    ))?;
    let mut out = Vec::new();
    for row in rows {
        let size: u64 = row
            .try_get::<u64, _>(1)
            .or_else(|_| row.try_get::<i64, _>(1).map(|v| v.max(0) as u64))
            .map_err(CaptureError::db("decoding SHOW BINARY LOGS"))?;
        out.push((text(&row, 0)?, size));
    }
    Ok(out)
}

/// Bytes of binary log between `from` and the end of the server's log (None: `from`'s
/// file is not listed any more).
pub fn bytes_behind(logs: &[(String, u64)], from: &Position) -> Option<u64> {
    let i = logs.iter().position(|(f, _)| f == &from.file)?;
    let mut total = logs[i].1.saturating_sub(from.pos);
    for (_, size) in &logs[i + 1..] {
        total += size;
    }
    Some(total)
}

/// The reader's first checkpoint: the server's position now, unless one is there.
pub async fn checkpoint_start(
    conn: &mut MySqlConnection,
    at: &Position,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../sql/binlog_checkpoint_start.sql"))
        .bind(READER)
        .bind(&at.file)
        .bind(at.pos)
        .execute(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "recording the binlog reader's first checkpoint",
        ))?;
    Ok(())
}

/// After an uncapture: with no table left on source `binlog`, drop the checkpoint.
pub async fn forget_if_unused(conn: &mut MySqlConnection) -> Result<(), CaptureError> {
    let left = super::registry::list_or_empty(conn)
        .await?
        .into_iter()
        .any(|r| r.source == Some(super::registry::Source::Binlog));
    if !left {
        sqlx::query(include_str!("../../sql/binlog_checkpoint_delete.sql"))
            .bind(READER)
            .execute(&mut *conn)
            .await
            .map_err(CaptureError::db("dropping the binlog checkpoint"))?;
    }
    Ok(())
}

/// The reader's checkpoint as `status` shows it.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub at: Position,
    pub rows_enqueued: u64,
    /// Commit time of the last transaction passed (None: none yet).
    pub event_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The checkpoint (None: no table was ever set up for binlog capture).
pub async fn checkpoint(conn: &mut MySqlConnection) -> Result<Option<Checkpoint>, CaptureError> {
    let row = sqlx::query(include_str!("../../sql/binlog_checkpoint_get.sql"))
        .bind(READER)
        .fetch_optional(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the binlog checkpoint (certyo_capture_binlog)",
        ))?;
    let Some(row) = row else { return Ok(None) };
    let d = || CaptureError::db("decoding the binlog checkpoint");
    Ok(Some(Checkpoint {
        at: Position {
            file: row.try_get(0).map_err(d())?,
            pos: row.try_get(1).map_err(d())?,
        },
        rows_enqueued: row.try_get(2).map_err(d())?,
        event_at: row.try_get(3).map_err(d())?,
        updated_at: row.try_get(4).map_err(d())?,
    }))
}

/// In an enqueue transaction: lock the checkpoint and read it.
pub async fn lock_checkpoint(conn: &mut MySqlConnection) -> Result<Option<Position>, CaptureError> {
    let row = sqlx::query(include_str!("../../sql/binlog_checkpoint_lock.sql"))
        .bind(READER)
        .fetch_optional(&mut *conn)
        .await
        .map_err(CaptureError::db("locking the binlog checkpoint"))?;
    let Some(row) = row else { return Ok(None) };
    let d = || CaptureError::db("decoding the binlog checkpoint");
    Ok(Some(Position {
        file: row.try_get(0).map_err(d())?,
        pos: row.try_get(1).map_err(d())?,
    }))
}

/// In an enqueue transaction, after its rows: move the checkpoint to `to`.
pub async fn advance_checkpoint(
    conn: &mut MySqlConnection,
    to: &Position,
    enqueued: u64,
    event_at: u32,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../sql/binlog_checkpoint_advance.sql"))
        .bind(&to.file)
        .bind(to.pos)
        .bind(enqueued)
        .bind((event_at > 0).then_some(event_at))
        .bind(READER)
        .execute(&mut *conn)
        .await
        .map_err(CaptureError::db("advancing the binlog checkpoint"))?;
    Ok(())
}

/// A captured table read for the binlog reader: its shape and how its row images
/// render; refuses what cannot be rendered exactly like the triggers.
pub async fn load_table(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<(TableShape, BinlogTable), CaptureError> {
    let shape = super::inspect_existing(conn, schema, name).await?;
    let rows = sqlx::query(include_str!("../../sql/binlog_table_columns.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db("reading column character sets"))?;
    let mut extra = Vec::new();
    for row in rows {
        let d = || CaptureError::db("decoding column character sets");
        let t: String = row.try_get(0).map_err(d())?;
        if t != name {
            continue;
        }
        let charset: Option<String> = row.try_get(2).map_err(d())?;
        let ex: Option<String> = row.try_get(3).map_err(d())?;
        extra.push(ColumnExtra {
            charset: charset.map(|c| c.to_ascii_lowercase()),
            virtual_generated: ex
                .unwrap_or_default()
                .to_ascii_uppercase()
                .contains("VIRTUAL GENERATED"),
        });
    }
    let table = BinlogTable::new(&shape, &extra)?;
    Ok((shape, table))
}

/// One change's `VALUES` row for a table with these DECIMAL columns (MySQL), and its
/// number of placeholders.
pub fn enqueue_row(decimals: &[(&str, u32, u32)]) -> (String, usize) {
    let payload = if decimals.is_empty() {
        fragment(&FRAGMENTS, "payload_text").to_string()
    } else {
        let pairs: Vec<String> = decimals
            .iter()
            .map(|(name, p, s)| {
                fill(
                    fragment(&FRAGMENTS, "decimal_pair"),
                    &[
                        ("name", name),
                        ("precision", &p.to_string()),
                        ("scale", &s.to_string()),
                    ],
                )
            })
            .collect();
        fill(
            fragment(&FRAGMENTS, "payload_decimals"),
            &[("pairs", &pairs.join(", "))],
        )
    };
    let row = fill(fragment(&FRAGMENTS, "row"), &[("payload", &payload)]);
    (row, 4 + decimals.len())
}

/// Most changes one INSERT carries.
pub const ROWS_PER_INSERT: usize = 200;

/// One change and the `VALUES` row its table uses (from [`enqueue_row`]).
pub struct Enqueue<'a> {
    pub table: &'a str,
    pub row: &'a str,
    pub change: &'a Change,
}

/// Enqueue changes in order, up to [`ROWS_PER_INSERT`] per statement.
pub async fn enqueue(
    conn: &mut MySqlConnection,
    changes: &[Enqueue<'_>],
) -> Result<(), CaptureError> {
    for chunk in changes.chunks(ROWS_PER_INSERT) {
        let rows: Vec<&str> = chunk.iter().map(|e| e.row).collect();
        let sql = fill(
            statement(include_str!("../../sql/binlog_enqueue.sql")),
            &[("rows", &rows.join(", "))],
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.table)
                .bind(&e.change.record_id)
                .bind(e.change.op)
                .bind(&e.change.payload);
            for d in &e.change.decimals {
                q = q.bind(d.clone());
            }
        }
        q.execute(&mut *conn).await.map_err(CaptureError::db(
            "enqueueing changes read from the binary log",
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_lag_bytes() {
        assert!(mysql_before_8_2("8.0.36"));
        assert!(!mysql_before_8_2("9.7.0"));
        let logs = vec![
            ("b.000001".to_string(), 1000),
            ("b.000002".to_string(), 500),
        ];
        let at = Position {
            file: "b.000001".into(),
            pos: 900,
        };
        assert_eq!(bytes_behind(&logs, &at), Some(600));
        assert_eq!(
            enqueue_row(&[("d2", 10, 2)]),
            (
                "(?, ?, ?, JSON_SET(CAST(? AS JSON), '$.\"d2\"', CAST(? AS DECIMAL(10, 2))))"
                    .to_string(),
                5
            )
        );
    }
}

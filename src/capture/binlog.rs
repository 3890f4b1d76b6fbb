//! Capture from the binary log (`migrate --capture binlog`): the server checks `migrate`
//! and the reader make, and the server's current position and binary log files. The
//! reader's checkpoint (`certyo_capture_binlog`, V10 and V12) is [`checkpoint`], its GTID
//! positions [`gtid`], the enqueue statement [`enqueue`]. The reader itself is the
//! `binlog` leader job (`tasks::binlog`); rendering of row images is `binlog_render`.
//!
//! Invariants:
//! - Every refusal names the setting or grant and the fix, in one line.
//! - The checkpoint is a transaction boundary (the end of a commit event): a file and
//!   position, and where the server has them its GTID position at that boundary; it is
//!   advanced only in the transaction that enqueues what was read up to it, after
//!   locking it and checking it is still where this reader started
//!   ([`lock_checkpoint`]): two readers never both enqueue one change.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::introspect::Engine;
use super::template::statement;
use super::CaptureError;

pub mod checkpoint;
pub mod enqueue;
pub mod gtid;

pub use checkpoint::{
    advance_checkpoint, checkpoint, checkpoint_start, forget_if_unused, lock_checkpoint,
    mariadb_gtid_pos, Boundary, Checkpoint, READER,
};
pub use enqueue::{enqueue, enqueue_row, load_table, Enqueue, ROWS_PER_INSERT};

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
    /// Every transaction has a GTID: MySQL's gtid_mode = ON; always on MariaDB.
    pub gtids: bool,
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
    let mut gtids = engine == Engine::MariaDb;
    if engine == Engine::MySql {
        if !full_metadata {
            return Err(setting(
                "binlog_row_metadata is not FULL (the reader needs column names in the log to follow ALTER TABLE safely); run SET PERSIST binlog_row_metadata = 'FULL'",
            ));
        }
        let row = sqlx::query(include_str!("../../sql/binlog_settings_mysql.sql"))
            .fetch_one(&mut *conn)
            .await
            .map_err(CaptureError::db(
                "reading binlog_row_value_options and gtid_mode",
            ))?;
        let options: Option<String> = row
            .try_get(0)
            .map_err(CaptureError::db("decoding binlog_row_value_options"))?;
        let mode: Option<String> = row
            .try_get(1)
            .map_err(CaptureError::db("decoding gtid_mode"))?;
        gtids = mode
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("ON"));
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
        gtids,
    })
}

/// The server's current position (the end of its binary log) and its GTID position
/// there: MySQL with gtid_mode ON, the executed set (`Executed_Gtid_Set` of the same
/// statement, read until two reads agree, so no commit is half-way between the binary
/// log and the executed set); MariaDB, `BINLOG_GTID_POS` of that file and position;
/// else None.
pub async fn server_position(
    conn: &mut MySqlConnection,
    engine: Engine,
) -> Result<Boundary, CaptureError> {
    let version: String = sqlx::query_scalar(include_str!("../../sql/session_server_version.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the server version"))?;
    let sql = if engine == Engine::MySql && !mysql_before_8_2(&version) {
        include_str!("../../sql/binlog_position_mysql.sql")
    } else {
        include_str!("../../sql/binlog_position_legacy.sql")
    };
    let gtid_mode_on = match engine {
        Engine::MariaDb => false,
        Engine::MySql => {
            let row = sqlx::query(include_str!("../../sql/binlog_settings_mysql.sql"))
                .fetch_one(&mut *conn)
                .await
                .map_err(CaptureError::db("reading gtid_mode"))?;
            let mode: Option<String> = row
                .try_get(1)
                .map_err(CaptureError::db("decoding gtid_mode"))?;
            mode.is_some_and(|m| m.eq_ignore_ascii_case("ON"))
        }
    };
    let mut last: Option<Boundary> = None;
    for _ in 0..5 {
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
        let at = Position { file, pos };
        let gtid = if gtid_mode_on {
            let raw = text(&row, 4)?;
            Some(
                gtid::Gtids::parse_mysql(&raw)
                    .map_err(|e| CaptureError::BinlogSetting(e.to_string()))?
                    .to_string(),
            )
        } else if engine == Engine::MariaDb {
            mariadb_gtid_pos(conn, &at).await?
        } else {
            None
        };
        let now = Boundary { at, gtid };
        if engine == Engine::MariaDb || !gtid_mode_on || last.as_ref() == Some(&now) {
            return Ok(now);
        }
        last = Some(now);
    }
    last.ok_or_else(|| {
        CaptureError::BinlogSetting("the server reports no binary log position".into())
    })
}

/// The replicas registered with the server: (server_id, host as reported).
pub async fn replicas(
    conn: &mut MySqlConnection,
    engine: Engine,
) -> Result<Vec<(u32, String)>, CaptureError> {
    let version: String = sqlx::query_scalar(include_str!("../../sql/session_server_version.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the server version"))?;
    let sql = if engine == Engine::MySql && !mysql_before(&version, (8, 0, 22)) {
        include_str!("../../sql/binlog_replicas_mysql.sql")
    } else {
        include_str!("../../sql/binlog_replicas_legacy.sql")
    };
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(statement(sql).to_string()))
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db("listing the replicas (SHOW REPLICAS)"))?;
    let mut out = Vec::new();
    for row in rows {
        let id: u64 = row
            .try_get::<u64, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.max(0) as u64))
            .or_else(|_| row.try_get::<u32, _>(0).map(u64::from))
            .map_err(CaptureError::db("decoding SHOW REPLICAS"))?;
        let host: Option<String> = row
            .try_get::<Option<String>, _>(1)
            .or_else(|_| {
                row.try_get::<Option<Vec<u8>>, _>(1)
                    .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
            })
            .map_err(CaptureError::db("decoding SHOW REPLICAS"))?;
        out.push((
            u32::try_from(id).unwrap_or(u32::MAX),
            host.unwrap_or_default(),
        ));
    }
    Ok(out)
}

fn mysql_before(version: &str, than: (u32, u32, u32)) -> bool {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let mut next = || -> u32 { parts.next().and_then(|p| p.parse().ok()).unwrap_or(0) };
    let v = (next(), next(), next());
    v < than
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_lag_bytes() {
        assert!(mysql_before_8_2("8.0.36"));
        assert!(!mysql_before_8_2("9.7.0"));
        assert!(mysql_before("8.0.21-log", (8, 0, 22)));
        assert!(!mysql_before("8.0.22", (8, 0, 22)));
        let logs = vec![
            ("b.000001".to_string(), 1000),
            ("b.000002".to_string(), 500),
        ];
        let at = Position {
            file: "b.000001".into(),
            pos: 900,
        };
        assert_eq!(bytes_behind(&logs, &at), Some(600));
    }
}

//! Opening the binlog reader's stream: the replication connection's options from
//! `--database-url`, and where the stream starts. A checkpoint with a GTID position on a
//! server that logs GTIDs resumes by GTID (MySQL: COM_BINLOG_DUMP_GTID with the executed
//! set; MariaDB: `@slave_connect_state`), so it does not depend on file names and
//! offsets; otherwise by file and position. A checkpoint without one (written by a
//! reader before V12, or on MySQL while gtid_mode was OFF) is upgraded: MariaDB computes
//! it (`BINLOG_GTID_POS`); on MySQL the stream resumes from file and position and takes
//! the server's executed set the first time it is caught up with the server
//! ([`BinlogReader::try_upgrade`]).

use std::collections::HashMap;

use mysql_async::prelude::Queryable;
use mysql_async::BinlogStreamRequest;

use super::session::Session;
use super::{decode, BinlogError, BinlogReader, ER_MASTER_FATAL_ERROR_READING_BINLOG};
use crate::capture::binlog::gtid::Gtids;
use crate::capture::binlog::{self as capture_binlog, BinlogServer, Checkpoint};
use crate::capture::introspect::Engine;
use crate::config::DbConfig;
use crate::error::{ConfigError, DbError};
use crate::tasks::TaskError;

/// Where a stream starts.
#[derive(Debug)]
enum Start {
    /// At the checkpoint's file and position; GTIDs not followed.
    FilePos,
    /// MySQL, checkpoint without GTIDs: file and position, GTIDs collected from there.
    MySqlUpgrade,
    /// MySQL: after the executed set.
    MySqlGtid(Gtids),
    /// MariaDB: after the GTID position (`upgraded`: computed, not from the checkpoint).
    MariaDbGtid { state: Gtids, upgraded: bool },
}

impl Start {
    fn describe(&self) -> &'static str {
        match self {
            Start::FilePos => "file and position",
            Start::MySqlUpgrade => "file and position, taking up GTIDs when caught up",
            Start::MySqlGtid(_)
            | Start::MariaDbGtid {
                upgraded: false, ..
            } => "GTID",
            Start::MariaDbGtid { upgraded: true, .. } => "GTID (computed from file and position)",
        }
    }
}

fn bad_gtid(e: crate::capture::binlog::gtid::GtidParseError) -> BinlogError {
    BinlogError::Gtid { why: e.to_string() }
}

impl BinlogReader {
    /// Open a stream at the checkpoint (None: no checkpoint, nothing is binlog-captured).
    pub(super) async fn open(&self) -> Result<Option<Session>, TaskError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let registered = decode::registered(&mut conn).await?;
        if registered.is_empty() {
            return Ok(None);
        }
        let Some(cp) = capture_binlog::checkpoint(&mut conn).await? else {
            tracing::warn!("binlog.no_checkpoint: tables are registered for binlog capture but certyo_capture_binlog has no checkpoint; run `certyo-queue migrate --table T --capture binlog`");
            return Ok(None);
        };
        let server = capture_binlog::check_server(&mut conn).await?;
        let start = plan(&mut conn, &server, &cp).await?;
        let id = self.server_id();
        let host = self.replica_host();
        match capture_binlog::replicas(&mut conn, server.engine).await {
            Ok(list) => {
                if let Some((_, other)) = list.iter().find(|(i, h)| *i == id && *h != host) {
                    return Err(BinlogError::ServerIdInUse {
                        id,
                        host: other.clone(),
                    }
                    .into());
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "binlog.replicas_unknown: cannot list the server's replicas (MariaDB needs REPLICATION MASTER ADMIN for it); another replica with this server_id would not be detected");
            }
        }
        drop(conn);
        let opts = replication_opts(&self.db)?;
        let mut repl =
            mysql_async::Conn::new(opts)
                .await
                .map_err(|source| BinlogError::Stream {
                    doing: "connecting",
                    source,
                })?;
        if server.engine == Engine::MariaDb {
            repl.query_drop(crate::sql::statement(include_str!(
                "../../../sql/binlog_connect_mariadb.sql"
            )))
            .await
            .map_err(|source| BinlogError::Stream {
                doing: "announcing GTID support (@mariadb_slave_capability)",
                source,
            })?;
            if let Start::MariaDbGtid { state, .. } = &start {
                repl.exec_drop(
                    crate::sql::statement(include_str!(
                        "../../../sql/binlog_connect_state_mariadb.sql"
                    )),
                    (state.to_string(),),
                )
                .await
                .map_err(|source| BinlogError::Stream {
                    doing: "setting the GTID position (@slave_connect_state)",
                    source,
                })?;
            }
        }
        let file = cp.at.file.clone();
        let request = match &start {
            Start::FilePos | Start::MySqlUpgrade => BinlogStreamRequest::new(id)
                .with_filename(file.as_bytes())
                .with_pos(cp.at.pos),
            Start::MySqlGtid(set) => BinlogStreamRequest::new(id)
                .with_gtid()
                .with_pos(4)
                .with_gtid_set(set.sids().map_err(bad_gtid)?),
            Start::MariaDbGtid { .. } => BinlogStreamRequest::new(id).with_pos(4),
        }
        .with_hostname(host.as_bytes());
        let stream = repl
            .get_binlog_stream(request)
            .await
            .map_err(|e| match &e {
                mysql_async::Error::Server(se)
                    if se.code == ER_MASTER_FATAL_ERROR_READING_BINLOG =>
                {
                    super::dump_refused(cp.boundary(), &se.message)
                }
                _ => BinlogError::Stream {
                    doing: "requesting the binary log",
                    source: e,
                },
            })?;
        tracing::info!(at = %cp.boundary(), by = start.describe(), server_id = id, tables = registered.len(), "binlog.start: streaming from the checkpoint");
        let ts = cp
            .event_at
            .map(|t| u32::try_from(t.timestamp()).unwrap_or(0))
            .unwrap_or(0);
        let (gtids, upgrade, end) = match start {
            Start::FilePos => (None, None, None),
            Start::MySqlUpgrade => (None, Some(Gtids::empty_mysql()), None),
            Start::MySqlGtid(set) => (Some(set), None, None),
            Start::MariaDbGtid { state, upgraded } => {
                // A computed position is written at the next flush, idle or not.
                let end = upgraded.then(|| (cp.at.clone(), ts));
                (Some(state), None, end)
            }
        };
        Ok(Some(Session {
            stream,
            start: cp.boundary(),
            file,
            maps: HashMap::new(),
            tables: HashMap::new(),
            registered,
            txn: Vec::new(),
            done: Vec::new(),
            end,
            last_event_ts: ts,
            idle_since_write: std::time::Instant::now(),
            done_since: None,
            gtids,
            txn_gtid: None,
            in_txn: false,
            upgrade,
            prepared: Vec::new(),
        }))
    }
}

/// Where to start, from the server's GTID support and the checkpoint.
async fn plan(
    conn: &mut sqlx::mysql::MySqlConnection,
    server: &BinlogServer,
    cp: &Checkpoint,
) -> Result<Start, TaskError> {
    Ok(match (server.engine, server.gtids, cp.gtid.as_deref()) {
        (Engine::MySql, true, Some(text)) => {
            Start::MySqlGtid(Gtids::parse_mysql(text).map_err(bad_gtid)?)
        }
        (Engine::MySql, true, None) => Start::MySqlUpgrade,
        (Engine::MySql, false, _) => Start::FilePos,
        (Engine::MariaDb, _, Some(text)) => Start::MariaDbGtid {
            state: Gtids::parse_mariadb(text).map_err(bad_gtid)?,
            upgraded: false,
        },
        (Engine::MariaDb, _, None) => match capture_binlog::mariadb_gtid_pos(conn, &cp.at).await {
            Ok(Some(text)) => Start::MariaDbGtid {
                state: Gtids::parse_mariadb(&text).map_err(bad_gtid)?,
                upgraded: true,
            },
            Ok(None) => Start::FilePos,
            Err(e) => {
                tracing::warn!(error = %e, at = %cp.at, "binlog.gtid_unknown: no GTID position for the checkpoint; resuming from file and position");
                Start::FilePos
            }
        },
    })
}

/// `%41` → `A` (user names and passwords in the URL are percent-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The replication connection's options from `--database-url`: host, port, user and
/// password; TLS when `ssl-mode` is required/verify_ca/verify_identity (with `ssl-ca`).
pub(super) fn replication_opts(db: &DbConfig) -> Result<mysql_async::Opts, ConfigError> {
    let url = db.url();
    let mut b = mysql_async::OptsBuilder::default()
        .ip_or_hostname(url.host_str().unwrap_or("localhost").to_string())
        .tcp_port(url.port().unwrap_or(3306))
        .user(Some(percent_decode(url.username())))
        .pass(url.password().map(percent_decode))
        .prefer_socket(false);
    let param = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mode = param("ssl-mode").or_else(|| param("sslmode"));
    if let Some(mode) = mode.as_deref() {
        if matches!(mode, "required" | "verify_ca" | "verify_identity") {
            let mut ssl = mysql_async::SslOpts::default();
            if let Some(ca) = url
                .query_pairs()
                .find(|(k, _)| k == "ssl-ca")
                .map(|(_, v)| v.into_owned())
            {
                ssl = ssl.with_root_certs(vec![std::path::PathBuf::from(ca).into()]);
            }
            ssl = match mode {
                "required" => ssl.with_danger_accept_invalid_certs(true),
                "verify_ca" => ssl.with_danger_skip_domain_validation(true),
                _ => ssl,
            };
            b = b.ssl_opts(ssl);
        }
    }
    Ok(b.into())
}

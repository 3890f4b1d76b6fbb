//! `status`'s view of the binlog reader: where its checkpoint is, how far the server's
//! binary log has moved past it (bytes, from SHOW BINARY LOGS, which needs REPLICATION
//! CLIENT; null without it) and the seconds since the commit of the last transaction it
//! passed while it is behind. With a GTID checkpoint on MySQL, "purged" means the server
//! purged GTIDs the reader has not read (`GTID_SUBSET`); otherwise that its file is gone.

use serde::Serialize;
use sqlx::mysql::MySqlConnection;

use crate::capture::binlog;
use crate::capture::CaptureError;

/// A reader further behind than this is a problem.
const BEHIND_SECS: f64 = 300.0;

#[derive(Debug, Clone, Serialize)]
pub struct BinlogStatus {
    /// `file:position` of the checkpoint (a transaction boundary).
    pub position: String,
    /// The GTID position at that boundary (MySQL: executed GTID set; MariaDB:
    /// domain-server-seq per domain); null when the checkpoint has none.
    pub gtid: Option<String>,
    pub rows_enqueued: u64,
    /// Bytes of binary log written after the checkpoint (null: not readable).
    pub lag_bytes: Option<u64>,
    /// 0 when caught up, else seconds since the commit of the last transaction passed.
    pub lag_seconds: Option<f64>,
    /// When the reader last moved its checkpoint.
    pub updated_at: String,
}

/// The reader's state; a missing checkpoint, a purged one or a long lag is a problem.
pub async fn read(
    conn: &mut MySqlConnection,
    problems: &mut Vec<String>,
) -> Result<Option<BinlogStatus>, CaptureError> {
    let cp = binlog::checkpoint(conn).await?;
    let Some(cp) = cp else {
        problems.push("tables are captured from the binary log but certyo_capture_binlog has no checkpoint: run `certyo-queue migrate --table T --capture binlog` again".into());
        return Ok(None);
    };
    let logs = binlog::server_logs(conn).await.ok();
    let lag_bytes = logs.as_ref().and_then(|l| binlog::bytes_behind(l, &cp.at));
    let mysql_gtid = cp
        .gtid
        .as_deref()
        .filter(|g| binlog::gtid::Gtids::parse_mysql(g).is_ok() && !g.is_empty());
    let purged = match mysql_gtid {
        Some(g) => {
            sqlx::query_scalar::<_, i64>(include_str!("../../sql/binlog_gtid_purged_mysql.sql"))
                .bind(g)
                .fetch_one(&mut *conn)
                .await
                .is_ok_and(|readable| readable == 0)
        }
        None => logs
            .as_ref()
            .is_some_and(|l| !l.iter().any(|(f, _)| f == &cp.at.file)),
    };
    if purged {
        problems.push(format!(
            "the binlog reader's checkpoint {} is no longer in the server's binary log (purged): re-snapshot with `migrate --uncapture`, `migrate --capture binlog` and `backfill` (see README \"Capture from the binary log\")",
            cp.boundary()
        ));
    }
    let lag_seconds = match (lag_bytes, cp.event_at) {
        (Some(0), _) => Some(0.0),
        (_, Some(at)) => {
            Some(((chrono::Utc::now() - at).num_milliseconds().max(0)) as f64 / 1000.0)
        }
        _ => None,
    };
    if lag_seconds.is_some_and(|s| s > BEHIND_SECS) && lag_bytes != Some(0) {
        problems.push(format!(
            "the binlog reader is {:.0} s behind (checkpoint {}): is `work` running? (`certyo_leader{{task=\"binlog\"}}`)",
            lag_seconds.unwrap_or_default(),
            cp.at
        ));
    }
    Ok(Some(BinlogStatus {
        position: cp.at.to_string(),
        gtid: cp.gtid.clone(),
        rows_enqueued: cp.rows_enqueued,
        lag_bytes,
        lag_seconds,
        updated_at: cp.updated_at.to_rfc3339(),
    }))
}

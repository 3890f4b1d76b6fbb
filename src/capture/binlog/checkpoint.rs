//! The binlog reader's checkpoint, one row of `certyo_capture_binlog` (V10, V12): the
//! transaction boundary up to which everything was enqueued or passed, as file and
//! position and, where known, as the server's GTID position at that boundary
//! (`binlog_gtid`: a MySQL GTID set, or a MariaDB `domain-server-seq` list; NULL when a
//! reader of an older version or `migrate` wrote the row, or on MySQL with gtid_mode
//! OFF). `migrate` writes the server's position and GTID position; a reader resuming
//! from a checkpoint without GTID fills it in.
//!
//! Invariant: the row moves only in an enqueue transaction, after [`lock_checkpoint`]
//! found it where the stream started (file, position and GTID alike).

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::Position;
use crate::capture::{registry, CaptureError};

/// The one reader's name in `certyo_capture_binlog`.
pub const READER: &str = "main";

/// A transaction boundary as the checkpoint records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boundary {
    pub at: Position,
    /// The GTID position at `at` (text of [`super::gtid::Gtids`]); None: not known.
    pub gtid: Option<String>,
}

impl std::fmt::Display for Boundary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.gtid {
            Some(g) if g.is_empty() => write!(f, "{} (GTID position empty)", self.at),
            Some(g) => write!(f, "{} (GTID {g})", self.at),
            None => write!(f, "{}", self.at),
        }
    }
}

/// The reader's first checkpoint: the server's position now, unless one is there.
pub async fn checkpoint_start(
    conn: &mut MySqlConnection,
    at: &Boundary,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../../sql/binlog_checkpoint_start.sql"))
        .bind(READER)
        .bind(&at.at.file)
        .bind(at.at.pos)
        .bind(at.gtid.as_deref())
        .execute(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "recording the binlog reader's first checkpoint",
        ))?;
    Ok(())
}

/// After an uncapture: with no table left on source `binlog`, drop the checkpoint.
pub async fn forget_if_unused(conn: &mut MySqlConnection) -> Result<(), CaptureError> {
    let left = registry::list_or_empty(conn)
        .await?
        .into_iter()
        .any(|r| r.source == Some(registry::Source::Binlog));
    if !left {
        sqlx::query(include_str!("../../../sql/binlog_checkpoint_delete.sql"))
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
    /// The GTID position at `at` (None: not known yet, or gtid_mode is OFF).
    pub gtid: Option<String>,
    pub rows_enqueued: u64,
    /// Commit time of the last transaction passed (None: none yet).
    pub event_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl Checkpoint {
    pub fn boundary(&self) -> Boundary {
        Boundary {
            at: self.at.clone(),
            gtid: self.gtid.clone(),
        }
    }
}

/// The checkpoint (None: no table was ever set up for binlog capture).
pub async fn checkpoint(conn: &mut MySqlConnection) -> Result<Option<Checkpoint>, CaptureError> {
    let row = sqlx::query(include_str!("../../../sql/binlog_checkpoint_get.sql"))
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
        gtid: row.try_get(5).map_err(d())?,
    }))
}

/// In an enqueue transaction: lock the checkpoint and read it.
pub async fn lock_checkpoint(conn: &mut MySqlConnection) -> Result<Option<Boundary>, CaptureError> {
    let row = sqlx::query(include_str!("../../../sql/binlog_checkpoint_lock.sql"))
        .bind(READER)
        .fetch_optional(&mut *conn)
        .await
        .map_err(CaptureError::db("locking the binlog checkpoint"))?;
    let Some(row) = row else { return Ok(None) };
    let d = || CaptureError::db("decoding the binlog checkpoint");
    Ok(Some(Boundary {
        at: Position {
            file: row.try_get(0).map_err(d())?,
            pos: row.try_get(1).map_err(d())?,
        },
        gtid: row.try_get(2).map_err(d())?,
    }))
}

/// In an enqueue transaction, after its rows: move the checkpoint to `to`.
pub async fn advance_checkpoint(
    conn: &mut MySqlConnection,
    to: &Boundary,
    enqueued: u64,
    event_at: u32,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../../sql/binlog_checkpoint_advance.sql"))
        .bind(&to.at.file)
        .bind(to.at.pos)
        .bind(to.gtid.as_deref())
        .bind(enqueued)
        .bind((event_at > 0).then_some(event_at))
        .bind(READER)
        .execute(&mut *conn)
        .await
        .map_err(CaptureError::db("advancing the binlog checkpoint"))?;
    Ok(())
}

/// MariaDB: the GTID position at a file and position of its binary log
/// (`BINLOG_GTID_POS`); None when the server does not have that file any more.
pub async fn mariadb_gtid_pos(
    conn: &mut MySqlConnection,
    at: &Position,
) -> Result<Option<String>, CaptureError> {
    sqlx::query_scalar(include_str!("../../../sql/binlog_gtid_pos_mariadb.sql"))
        .bind(&at.file)
        .bind(at.pos)
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the GTID position of the binlog checkpoint (BINLOG_GTID_POS)",
        ))
}

//! The binlog reader's enqueue transaction: lock the checkpoint, check it is where this
//! stream started (file, position and GTID position: a second reader finds it moved and
//! stops), insert the committed changes read in log order, advance the checkpoint to the
//! last boundary read, commit. A crash before the commit leaves the checkpoint and the
//! queue as they were; after it, both have moved together.
//!
//! Also the MySQL upgrade of a checkpoint without GTID ([`BinlogReader::try_upgrade`]):
//! when the stream is idle at exactly the server's current position, the server's
//! executed set (read until two reads agree) plus the GTIDs this stream read is the
//! GTID position of that boundary, written by the next flush.

use std::time::{Duration, Instant};

use sqlx::Connection;

use super::session::Session;
use super::{BinlogError, BinlogReader};
use crate::capture::binlog::gtid::Gtids;
use crate::capture::binlog::{self as capture_binlog, Boundary, Position};
use crate::capture::introspect::Engine;
use crate::capture::CaptureError;
use crate::error::DbError;
use crate::tasks::TaskError;

impl BinlogReader {
    /// Enqueue every committed change read and advance the checkpoint, in one
    /// transaction. With nothing to enqueue, the checkpoint still moves (at most once a
    /// second unless `force`), so lag and `status` follow the stream.
    pub(super) async fn flush(&self, s: &mut Session, force: bool) -> Result<u64, TaskError> {
        let Some((end, ts)) = s.end_boundary() else {
            return Ok(0);
        };
        if s.done.is_empty() && !force && s.idle_since_write.elapsed() < Duration::from_secs(1) {
            return Ok(0);
        }
        if s.done.is_empty() && end == s.start {
            s.end = None;
            return Ok(0);
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let mut tx = conn
            .begin()
            .await
            .map_err(CaptureError::db("starting a binlog enqueue transaction"))?;
        let now = capture_binlog::lock_checkpoint(&mut tx).await?;
        if now.as_ref() != Some(&s.start) {
            let _ = tx.rollback().await;
            return Err(BinlogError::Fenced {
                now: now.unwrap_or(Boundary {
                    at: Position {
                        file: String::new(),
                        pos: 0,
                    },
                    gtid: None,
                }),
                ours: s.start.clone(),
            }
            .into());
        }
        let changes: Vec<capture_binlog::Enqueue<'_>> = s
            .done
            .iter()
            .map(|p| capture_binlog::Enqueue {
                table: &p.table.name,
                row: &p.table.row,
                change: &p.change,
            })
            .collect();
        capture_binlog::enqueue(&mut tx, &changes).await?;
        let n = s.done.len() as u64;
        capture_binlog::advance_checkpoint(&mut tx, &end, n, ts).await?;
        tx.commit()
            .await
            .map_err(CaptureError::db("committing a binlog enqueue transaction"))?;
        s.done.clear();
        s.done_since = None;
        s.start = end;
        s.end = None;
        s.idle_since_write = Instant::now();
        if n > 0 {
            tracing::debug!(enqueued = n, at = %s.start, "binlog.enqueued");
        }
        Ok(n)
    }

    /// MySQL: give a checkpoint without GTID the GTID position of the boundary the stream
    /// is idle at, if that is the server's current position (else try again when idle).
    pub(super) async fn try_upgrade(&self, s: &mut Session) -> Result<(), TaskError> {
        let Some(read) = s.upgrade.as_ref() else {
            return Ok(());
        };
        if !s.prepared.is_empty() {
            // The server's set names the held XA transactions as executed.
            return Ok(());
        }
        let here = s
            .end
            .as_ref()
            .map(|e| e.0.clone())
            .unwrap_or_else(|| s.start.at.clone());
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let server = capture_binlog::server_position(&mut conn, Engine::MySql).await?;
        let (true, Some(text)) = (server.at == here, server.gtid) else {
            return Ok(());
        };
        let mut set =
            Gtids::parse_mysql(&text).map_err(|e| BinlogError::Gtid { why: e.to_string() })?;
        set.union(read);
        tracing::info!(at = %here, "binlog.gtid_upgraded: caught up with the server: the checkpoint takes its GTID set");
        s.gtids = Some(set);
        s.upgrade = None;
        if s.end.is_none() {
            s.end = Some((here, s.last_event_ts));
        }
        Ok(())
    }
}

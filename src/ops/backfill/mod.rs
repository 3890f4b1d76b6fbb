//! `certyo-queue backfill --table T`: enqueue every existing row of a captured table as
//! an `upsert` event, so rows written before capture started are anchored too (what a
//! change-data-capture snapshot does).
//!
//! How: keyset pagination over the full primary key. Each chunk is one transaction that
//! (1) locks the table's progress row in `certyo_queue_backfill` (migration V3),
//! (2) finds the chunk's last key (`batch` rows after the last key done),
//! (3) takes a shared lock on the rows in (last key, chunk end] that no application
//!     transaction holds (SKIP LOCKED) and `INSERT … SELECT`s them into `certyo_queue`
//!     with the capture triggers' own `record_id` and payload expressions,
//! (4) records the chunk end and the count, and commits.
//! A row an application transaction held is enqueued after that, in a transaction of
//! its own that waits for it, before (4) (see `chunk`).
//!
//! Invariants:
//! - Each row is enqueued once per backfill run: a chunk's rows and its progress commit
//!   together, so an interrupted backfill (Ctrl-C, crash, lost connection) resumes after
//!   the last committed chunk; two backfills of one table take turns on the progress
//!   row lock instead of enqueuing a chunk twice. Exception: a chunk that had to wait
//!   for held rows commits its other rows first; interrupted then, it is repeated.
//! - The last event of every row is its newest version: an enqueued version is locked
//!   until the chunk commits, so a later change is queued after it (whatever the
//!   capture source); a chunk never waits for an application's lock while it holds
//!   rows, so it cannot deadlock with one. Writers of a chunk's rows wait for the
//!   chunk's commit (a 5,000-row chunk took 36 ms on MariaDB, 60 ms on MySQL, release
//!   build, 2-core box).
//! - A finished backfill is not repeated unless `restart` is asked for.
//! - Only tables whose capture triggers are current are backfilled (the payloads must
//!   match what the triggers write); others are refused.
//! - Rows written while a backfill runs are captured by the triggers as well; a row
//!   may then arrive as both its own event and an `upsert`, which at-least-once
//!   delivery already allows.
//! - Key values are kept as text and bound as integers for integer keys, as text
//!   otherwise (the server converts text to the column's type for DATETIME, DECIMAL).
//!
//! Layout: this file holds the settings, the report and the run; `shape` (which tables
//! may be backfilled), `progress` (the progress row), `chunk` (one chunk's
//! transaction), `table_sql` (the table's statements), `command` (`run_cli`).

mod chunk;
mod command;
mod progress;
mod shape;
mod table_sql;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use self::chunk::{chunk, Chunk};
use self::progress::{begin, progress_row};
use self::shape::captured_shape;
use self::table_sql::TableSql;
use crate::capture::template::statement;
use crate::capture::CaptureError;
use crate::error::DbError;

pub use self::command::run_cli;

/// Rows per chunk unless told otherwise.
pub const DEFAULT_BATCH: usize = 5000;
/// Largest chunk accepted.
pub const MAX_BATCH: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error("invalid setting --batch: {0} is outside 1..={MAX_BATCH}")]
    Batch(usize),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("table `{0}` is not captured: run `certyo-queue migrate --table {0}` first")]
    NotCaptured(String),
    #[error("table `{0}`: its capture triggers are outdated (the table changed since `migrate`): run `certyo-queue migrate --table {0}` first, so backfilled payloads match captured ones")]
    Drifted(String),
    #[error("the backfill progress table certyo_queue_backfill is missing: run `certyo-queue migrate` (queue schema V3) first")]
    NoProgressTable,
    #[error(
        "the backfill progress of `{table}` is unreadable ({reason}); start over with --restart"
    )]
    BadProgress { table: String, reason: String },
}

/// Settings of one backfill run.
#[derive(Debug, Clone)]
pub struct BackfillConfig {
    /// Rows per chunk (default 5000).
    pub batch: usize,
    /// Forget earlier progress (finished or not) and enqueue every row again.
    pub restart: bool,
    /// Stop after this many chunks (tests; the run is then left resumable).
    pub max_chunks: Option<u64>,
}

impl Default for BackfillConfig {
    fn default() -> Self {
        BackfillConfig {
            batch: DEFAULT_BATCH,
            restart: false,
            max_chunks: None,
        }
    }
}

/// Where a run stands, after each chunk.
#[derive(Debug, Clone)]
pub struct Progress {
    pub table: String,
    /// Rows enqueued by this backfill so far (earlier interrupted runs included).
    pub enqueued: u64,
    /// InnoDB's estimate of the table's rows (0 when unknown); for display only.
    pub estimated_rows: u64,
    pub chunks: u64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackfillEnd {
    /// Every row is enqueued (now, or by this run).
    Complete,
    /// An earlier run finished; nothing was enqueued (use `restart`).
    AlreadyComplete { finished_at: DateTime<Utc> },
    /// Stopped early (cancelled or `max_chunks`); run again to resume.
    Interrupted,
}

#[derive(Debug, Clone)]
pub struct BackfillReport {
    pub table: String,
    pub outcome: BackfillEnd,
    /// Rows enqueued by this run.
    pub enqueued_now: u64,
    /// Rows enqueued by this backfill in total (earlier interrupted runs included).
    pub enqueued_total: u64,
    pub chunks: u64,
    pub elapsed: Duration,
}

/// Backfill `table` of `schema`. `on_progress` is called after each chunk.
pub async fn run(
    pool: &MySqlPool,
    schema: &str,
    table: &str,
    cfg: &BackfillConfig,
    stop: &CancellationToken,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<BackfillReport, BackfillError> {
    if cfg.batch == 0 || cfg.batch > MAX_BATCH {
        return Err(BackfillError::Batch(cfg.batch));
    }
    let started = Instant::now();
    let mut conn = pool
        .acquire()
        .await
        .map_err(DbError::query("connecting for backfill"))?;
    let shape = captured_shape(&mut conn, schema, table).await?;
    let engine = crate::capture::introspect::engine(&mut conn).await?;
    let sql = TableSql::new(&shape, engine)?;
    let estimated_rows = sqlx::query_scalar::<_, i64>(statement(include_str!(
        "../../../sql/backfill_estimate_rows.sql"
    )))
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(DbError::query("estimating the table's size"))?
    .unwrap_or(0)
    .max(0) as u64;

    let mut report = BackfillReport {
        table: table.to_string(),
        outcome: BackfillEnd::Interrupted,
        enqueued_now: 0,
        enqueued_total: 0,
        chunks: 0,
        elapsed: Duration::ZERO,
    };
    if let Some(finished_at) = begin(&mut conn, table, cfg.restart).await? {
        report.outcome = BackfillEnd::AlreadyComplete { finished_at };
        if let Some(p) = progress_row(&mut conn, table).await? {
            report.enqueued_total = p.rows;
        }
        return Ok(report);
    }
    loop {
        if stop.is_cancelled() || cfg.max_chunks.is_some_and(|m| report.chunks >= m) {
            break;
        }
        match chunk(&mut conn, &sql, &shape, cfg.batch, stop).await? {
            Chunk::Stopped { rows } => {
                report.enqueued_now += rows;
                // Its statement was cut off mid-wait: close the connection rather than
                // hand it back to the pool (closing the pool would wait for the server).
                drop(conn.detach());
                report.elapsed = started.elapsed();
                return Ok(report);
            }
            Chunk::Done { total } => {
                report.enqueued_total = total;
                report.outcome = BackfillEnd::Complete;
                break;
            }
            Chunk::Enqueued { rows, total } => {
                report.enqueued_now += rows;
                report.enqueued_total = total;
                report.chunks += 1;
                on_progress(&Progress {
                    table: table.to_string(),
                    enqueued: total,
                    estimated_rows,
                    chunks: report.chunks,
                });
            }
        }
    }
    report.elapsed = started.elapsed();
    // debug: on a terminal an info line would land on the progress line.
    tracing::debug!(
        table,
        enqueued = report.enqueued_now,
        total = report.enqueued_total,
        chunks = report.chunks,
        outcome = ?report.outcome,
        "backfill.run"
    );
    Ok(report)
}

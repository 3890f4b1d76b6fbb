//! `certyo-queue backfill --table T`: enqueue every existing row of a captured table as
//! an `upsert` event, so rows written before capture started are anchored too (what a
//! change-data-capture snapshot does).
//!
//! How: keyset pagination over the full primary key. Each chunk is one transaction that
//! (1) locks the table's progress row in `certyo_queue_backfill` (migration V3),
//! (2) finds the chunk's last key (`batch` rows after the last key done),
//! (3) `INSERT … SELECT`s the rows in (last key, chunk end] into `certyo_queue` with the
//!     capture triggers' own `record_id` and payload expressions,
//! (4) records the chunk end and the count, and commits.
//!
//! Invariants:
//! - Each row is enqueued once per backfill run: a chunk's rows and its progress commit
//!   together, so an interrupted backfill (Ctrl-C, crash, lost connection) resumes after
//!   the last committed chunk; two backfills of one table take turns on the progress
//!   row lock instead of enqueuing a chunk twice.
//! - A finished backfill is not repeated unless `restart` is asked for.
//! - Only tables whose capture triggers are current are backfilled (the payloads must
//!   match what the triggers write); others are refused.
//! - Rows written while a backfill runs are captured by the triggers as well; a row
//!   may then arrive as both its own event and an `upsert`, which at-least-once
//!   delivery already allows.
//! - Key values are kept as text and bound as integers for integer keys, as text
//!   otherwise (the server converts text to the column's type for DATETIME, DECIMAL).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::mysql::{MySqlArguments, MySqlConnection, MySqlPool};
use sqlx::query::Query;
use sqlx::{Acquire, MySql, Row};
use tokio_util::sync::CancellationToken;

use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};
use crate::capture::{self, render, triggers, CaptureError, TableShape, TriggerState};
use crate::cli::BackfillArgs;
use crate::config::DbConfig;
use crate::error::DbError;

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
    let sql = TableSql::new(&shape)?;
    let estimated_rows = sqlx::query_scalar::<_, i64>(statement(include_str!(
        "../../sql/backfill_estimate_rows.sql"
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
        match chunk(&mut conn, &sql, &shape, cfg.batch).await? {
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

/// The table's shape, if its capture triggers are current.
async fn captured_shape(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<TableShape, BackfillError> {
    let shape = capture::inspect_existing(conn, schema, table).await?;
    // A table captured by polling or from the binary log has no triggers; its payloads
    // are rendered by the same expressions, so it only has to be renderable.
    let polled = capture::registry::get(conn, table).await?.is_some_and(|r| {
        matches!(
            r.source,
            Some(capture::registry::Source::Poll | capture::registry::Source::Binlog)
        )
    });
    if polled && !shape.pk.is_empty() {
        capture::triggers::generate(&shape)?;
        return Ok(shape);
    }
    match capture::trigger_state(conn, schema, table).await? {
        TriggerState::Current if !shape.pk.is_empty() => Ok(shape),
        TriggerState::Drifted => Err(BackfillError::Drifted(table.to_string())),
        TriggerState::Unrenderable => Err(match capture::triggers::generate(&shape) {
            Err(e) => e.into(),
            Ok(_) => BackfillError::Drifted(table.to_string()),
        }),
        _ => Err(BackfillError::NotCaptured(table.to_string())),
    }
}

struct ProgressRow {
    last_key: Option<String>,
    rows: u64,
    finished_at: Option<DateTime<Utc>>,
}

/// The progress row, locked until the caller's transaction ends.
async fn progress_row(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Option<ProgressRow>, BackfillError> {
    let row = sqlx::query(statement(include_str!(
        "../../sql/backfill_progress_get.sql"
    )))
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("42S02") => {
            BackfillError::NoProgressTable
        }
        _ => DbError::query("reading the backfill progress")(e).into(),
    })?;
    let Some(row) = row else { return Ok(None) };
    let decode = DbError::query("decoding the backfill progress");
    let rows: i64 = row.try_get(1).map_err(decode)?;
    Ok(Some(ProgressRow {
        last_key: row
            .try_get(0)
            .map_err(DbError::query("decoding the backfill progress"))?,
        rows: rows.max(0) as u64,
        finished_at: row
            .try_get(4)
            .map_err(DbError::query("decoding the backfill progress"))?,
    }))
}

/// Start (or restart) the progress row; `Some(finished_at)` when an earlier run finished
/// and `restart` is off.
async fn begin(
    conn: &mut MySqlConnection,
    table: &str,
    restart: bool,
) -> Result<Option<DateTime<Utc>>, BackfillError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(DbError::query("starting a transaction"))?;
    let existing = progress_row(&mut tx, table).await?;
    match existing {
        Some(p) if !restart => {
            tx.commit()
                .await
                .map_err(DbError::query("committing the backfill start"))?;
            return Ok(p.finished_at);
        }
        _ => {
            sqlx::query(statement(include_str!(
                "../../sql/backfill_progress_start.sql"
            )))
            .bind(table)
            .execute(&mut *tx)
            .await
            .map_err(DbError::query("recording the backfill start"))?;
        }
    }
    tx.commit()
        .await
        .map_err(DbError::query("committing the backfill start"))?;
    Ok(None)
}

enum Chunk {
    Enqueued { rows: u64, total: u64 },
    Done { total: u64 },
}

/// One chunk in one transaction.
async fn chunk(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    shape: &TableShape,
    batch: usize,
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
            "../../sql/backfill_progress_finish.sql"
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
    let insert = fill(
        &sql.enqueue,
        &[("after", &after.text), ("upto", &upto.text)],
    );
    let mut q = bind_all(
        sqlx::query(sqlx::AssertSqlSafe(insert.as_str())),
        &after.binds,
        shape,
    );
    q = bind_all(q, &upto.binds, shape);
    let rows = q
        .execute(&mut *tx)
        .await
        .map_err(DbError::query("enqueueing a backfill chunk"))?
        .rows_affected();
    let end_json = serde_json::to_string(&end).map_err(|e| BackfillError::BadProgress {
        table: table.to_string(),
        reason: e.to_string(),
    })?;
    sqlx::query(statement(include_str!(
        "../../sql/backfill_progress_advance.sql"
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

fn read_key(
    row: Result<Option<sqlx::mysql::MySqlRow>, sqlx::Error>,
    n: usize,
) -> Result<Option<Vec<String>>, BackfillError> {
    let Some(row) = row.map_err(DbError::query("finding the end of a backfill chunk"))? else {
        return Ok(None);
    };
    (0..n)
        .map(|i| row.try_get::<String, _>(i))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
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

/// A predicate and its parameters, as (key column index, value).
struct Predicate {
    text: String,
    binds: Vec<(usize, String)>,
}

/// The table's backfill statements, with `{after}` / `{upto}` left to fill per chunk.
struct TableSql {
    cols: Vec<String>,
    /// Per key column: its bind marker (`?` or `UNHEX(?)` for a hex-kept binary key).
    params: Vec<&'static str>,
    chunk_end: String,
    last_key: String,
    enqueue: String,
}

impl TableSql {
    fn new(shape: &TableShape) -> Result<Self, CaptureError> {
        let frags = fragments(include_str!("../../sql/backfill_fragments.sql"));
        let key = shape.key_columns();
        let hex: Vec<bool> = key.iter().map(|c| render::key_is_hex(c)).collect();
        let cols: Vec<String> = shape
            .pk
            .iter()
            .map(|c| format!("src.{}", quote_ident(c)))
            .collect();
        let each = |name: &str, sep: &str| {
            cols.iter()
                .map(|c| fill(fragment(&frags, name), &[("col", c)]))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let key_text = cols
            .iter()
            .zip(&hex)
            .map(|(c, &h)| {
                let name = if h { "key_hex" } else { "key_text" };
                fill(fragment(&frags, name), &[("col", c)])
            })
            .collect::<Vec<_>>()
            .join(", ");
        let params = hex
            .iter()
            .map(|&h| fragment(&frags, if h { "param_hex" } else { "param" }))
            .collect();
        let order = each("asc", ", ");
        let order_desc = each("desc", ", ");
        let table = quote_ident(&shape.name);
        let common = |file: &str| {
            fill(
                statement(file),
                &[
                    ("key_text", &key_text),
                    ("table", &table),
                    ("order", &order),
                    ("order_desc", &order_desc),
                    // left for the chunk to fill:
                    ("after", "{after}"),
                    ("upto", "{upto}"),
                ],
            )
        };
        let enqueue = fill(
            &common(include_str!("../../sql/backfill_enqueue.sql")),
            &[
                ("table_name", &shape.name),
                ("record_id", &triggers::record_id(shape, "src")?),
                ("payload", &triggers::payload(shape, "src")?),
            ],
        );
        Ok(TableSql {
            chunk_end: common(include_str!("../../sql/backfill_chunk_end.sql")),
            last_key: common(include_str!("../../sql/backfill_last_key.sql")),
            enqueue,
            cols,
            params,
        })
    }

    /// `key > last` over the full key (TRUE for the first chunk).
    fn after(&self, last: Option<&[String]>) -> Predicate {
        match last {
            None => Predicate {
                text: fragment(&self.frags(), "everything").to_string(),
                binds: Vec::new(),
            },
            Some(last) => self.compare(last, "gt", "gt"),
        }
    }

    /// `key <= end` over the full key.
    fn upto(&self, end: &[String]) -> Predicate {
        self.compare(end, "lt", "le")
    }

    /// Lexicographic comparison of the key with `values`: for each column i, the
    /// earlier columns equal and column i compared with `op` (`last_op` for the last).
    fn compare(&self, values: &[String], op: &str, last_op: &str) -> Predicate {
        let frags = self.frags();
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for i in 0..self.cols.len() {
            let mut terms = Vec::new();
            for (j, (col, value)) in self.cols.iter().zip(values).take(i).enumerate() {
                terms.push(fill(
                    fragment(&frags, "eq"),
                    &[("col", col), ("param", self.params[j])],
                ));
                binds.push((j, value.clone()));
            }
            let this_op = if i + 1 == self.cols.len() {
                last_op
            } else {
                op
            };
            terms.push(fill(
                fragment(&frags, this_op),
                &[("col", &self.cols[i]), ("param", self.params[i])],
            ));
            binds.push((i, values[i].clone()));
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        Predicate {
            text: format!("({})", alternatives.join(" OR ")),
            binds,
        }
    }

    fn frags(&self) -> std::collections::HashMap<&'static str, &'static str> {
        fragments(include_str!("../../sql/backfill_fragments.sql"))
    }
}

/// `certyo-queue backfill --table T [--batch N] [--restart]`.
pub async fn run_cli(args: &BackfillArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 1).await?;
    let cfg = BackfillConfig {
        batch: args.batch,
        restart: args.restart,
        max_chunks: None,
    };
    let terminal = std::io::stderr().is_terminal();
    let mut last_log: Option<Instant> = None;
    let mut show = |p: &Progress| {
        let of = if p.estimated_rows > 0 {
            let pct = (p.enqueued as f64 * 100.0 / p.estimated_rows as f64).min(100.0);
            format!(" of ~{} ({pct:.0}%)", p.estimated_rows)
        } else {
            String::new()
        };
        if terminal {
            eprint!(
                "\rbackfill {}: {} rows enqueued{of}   ",
                p.table, p.enqueued
            );
        } else if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            last_log = Some(Instant::now());
            tracing::info!(event = "backfill.progress",
                table = %p.table,
                enqueued = p.enqueued,
                estimated_rows = p.estimated_rows,
                chunks = p.chunks,
                "backfill.progress: {} rows enqueued{of}",
                p.enqueued
            );
        }
    };
    let result = run(&pool, &schema, &args.table, &cfg, &stop, &mut show).await;
    if terminal {
        eprintln!();
    }
    pool.close().await;
    let r = result?;
    let t = &r.table;
    match r.outcome {
        BackfillEnd::Complete => {
            println!(
                "backfill `{t}`: complete; {} rows enqueued as upsert events ({} by this run, {} chunks, {} ms)",
                r.enqueued_total,
                r.enqueued_now,
                r.chunks,
                r.elapsed.as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        BackfillEnd::AlreadyComplete { finished_at } => {
            println!(
                "backfill `{t}`: already complete ({} rows enqueued, finished {}); nothing enqueued. Use --restart to enqueue every row again.",
                r.enqueued_total,
                finished_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            Ok(ExitCode::SUCCESS)
        }
        BackfillEnd::Interrupted => {
            println!(
                "backfill `{t}`: interrupted after {} rows ({} by this run); run the same command again to resume",
                r.enqueued_total, r.enqueued_now
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

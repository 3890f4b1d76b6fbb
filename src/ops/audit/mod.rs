//! `certyo-queue audit`: which rows still say what was anchored.
//!
//! The local pass, per table, chunk by chunk over the primary key: every row is
//! rendered on the server with the capture triggers' own payload expression, and the
//! SHA-256 of that text is compared with `certyo_payload_sha256`, the digest of the
//! exact payload its last delivered version carried (written back by delivery). Only
//! counts leave the server, plus the rows that differ. Then the queue-side check:
//! records whose newest queue event is not a delete but whose row is gone.
//!
//! Classes of a row (see `sql/audit_chunk_counts.sql`): never delivered; latest version
//! awaiting delivery (capture cleared its status when it changed); delivered before
//! digests existed; matches; altered. A change made through capture is never "altered":
//! capture clears the row's status in the same statement, and the next delivery writes
//! the new digest back. A change capture did not see (triggers dropped, a session with
//! the capture marker set, a foreign-key cascade, a restored copy) leaves the old digest
//! and status on new content: altered.
//!
//! Invariants:
//! - Read-only except `--mark`, which sets `certyo_anchor_status = 'Altered'` on rows
//!   that are still altered when the update runs, with the capture marker set (nothing
//!   is queued) and ON UPDATE CURRENT_TIMESTAMP columns pinned; the marker is cleared
//!   before the commit, and a connection that fails mid-way is closed, never pooled.
//! - Plain consistent reads (READ COMMITTED) chunk by chunk, so no long transaction
//!   holds back purge; the queue-side check reads one snapshot, so a row deleted through
//!   capture while it runs is not reported gone.
//! - Needs SELECT on the table, `certyo_capture` and `certyo_capture_digest` (the
//!   rendering options) and `certyo_queue`; UPDATE on the table for `--mark`.
//!
//! Layout: `report` (settings and findings), `shape` (the audited table), `table_sql`
//! (its statements), `scan` (the local pass), `mark` (`--mark`), `gone` (the
//! queue-side check), `prove` (asking Certyo), `render` (text and progress),
//! `command` (`run_cli`).

mod command;
mod gone;
mod mark;
pub mod prove;
mod render;
mod report;
mod scan;
mod shape;
pub mod table_sql;

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use self::gone::gone;
use self::prove::Prover;
use self::scan::{scan, ScanConfig};
use self::shape::{audited_shape, estimate_rows};
use self::table_sql::TableSql;
use crate::capture::{self, CaptureError};
use crate::error::DbError;

pub use self::command::{exit_code, run_cli};
pub use self::render::{progress_printer, render_text};
pub use self::report::{
    AlteredRow, AuditConfig, AuditReport, GoneRow, Progress, ProofCounts, Resume, TableAudit,
};

/// Rows per chunk unless told otherwise.
pub const DEFAULT_CHUNK: usize = 10_000;
/// Largest chunk accepted.
pub const MAX_CHUNK: usize = 100_000;
/// Rows marked, or records checked for presence, per statement.
const ROWS_PER_STATEMENT: usize = 500;
/// Exit code when something was altered or is gone.
pub const EXIT_ALTERED: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("invalid setting --chunk: {0} is outside 1..={MAX_CHUNK}")]
    Chunk(usize),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("proof by Certyo: {0}")]
    Api(#[from] crate::certyo::ApiError),
    #[error("no captured table in database `{0}`: run `certyo-queue migrate --table T` first, or name one with --table")]
    NothingCaptured(String),
    #[error("table `{0}` has no tracking columns: it was never captured (run `certyo-queue migrate --table {0}`)")]
    NotTracked(String),
    #[error("table `{0}` has no certyo_payload_sha256 column: run `certyo-queue migrate --table {0}` (it adds the column; versions delivered before it are reported as delivered without a digest)")]
    NoDigestColumn(String),
    #[error("--resume-after needs exactly one --table and a JSON array of that table's primary-key values as text (one per key column), as an interrupted audit prints it, e.g. '[\"41999\"]'")]
    Resume,
    #[error("audit needs SELECT on `{0}`, which this user lacks: GRANT SELECT ON <database>.{0} TO <user> (without it the audit could not render the rows as capture does)")]
    Privilege(&'static str),
}

/// Audit the tables of `schema`: the local pass, and with a `prover` the proof of
/// suspects (and of `cfg.sample` matching rows per table) by Certyo.
pub async fn run(
    pool: &MySqlPool,
    schema: &str,
    cfg: &AuditConfig,
    prover: Option<&Prover>,
    stop: &CancellationToken,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<AuditReport, AuditError> {
    if cfg.chunk == 0 || cfg.chunk > MAX_CHUNK {
        return Err(AuditError::Chunk(cfg.chunk));
    }
    let mut conn = pool
        .acquire()
        .await
        .map_err(DbError::query("connecting for the audit"))?;
    let names = if cfg.tables.is_empty() {
        let names: Vec<String> = capture::captured_tables(&mut conn, schema)
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect();
        if names.is_empty() {
            return Err(AuditError::NothingCaptured(schema.to_string()));
        }
        names
    } else {
        cfg.tables.clone()
    };
    let mut shapes = Vec::new();
    for name in &names {
        shapes.push(audited_shape(&mut conn, schema, name).await?);
    }
    if let Some(key) = &cfg.resume_after {
        match shapes.as_slice() {
            [one] if cfg.tables.len() == 1 && one.pk.len() == key.len() => {}
            _ => return Err(AuditError::Resume),
        }
    }
    let mut report = AuditReport {
        database: schema.to_string(),
        ..AuditReport::default()
    };
    for shape in &shapes {
        let sql = TableSql::new(shape)?;
        let estimated_rows = estimate_rows(&mut conn, schema, &shape.name).await?;
        let mut table = TableAudit {
            table: shape.name.clone(),
            proof: prover.map(|_| ProofCounts::default()),
            ..TableAudit::default()
        };
        let per_chunk = if cfg.sample == u64::MAX {
            cfg.chunk as u64
        } else {
            // Spread the sample over the table: its share of each chunk, at least one.
            (cfg.sample.saturating_mul(cfg.chunk as u64) / estimated_rows.max(1)).max(1)
        };
        let scan_cfg = ScanConfig {
            pool,
            cfg,
            prover,
            per_chunk,
        };
        let mut last = cfg.resume_after.clone();
        let finished = scan(
            &mut conn,
            &sql,
            &scan_cfg,
            &mut table,
            &mut last,
            stop,
            &mut |t: &TableAudit| {
                on_progress(&Progress {
                    table: t.table.clone(),
                    rows: t.rows,
                    altered: t.altered,
                    estimated_rows,
                })
            },
        )
        .await?;
        if finished {
            gone(&mut conn, &sql, cfg, &mut table).await?;
        }
        tracing::debug!(
            table = %table.table,
            rows = table.rows,
            matching = table.matching,
            altered = table.altered,
            gone = table.gone,
            "audit.table"
        );
        if !finished {
            report.interrupted = true;
            report.resume = last.map(|key| Resume {
                table: table.table.clone(),
                after: serde_json::to_string(&key).unwrap_or_default(),
            });
            report.tables.push(table);
            break;
        }
        report.tables.push(table);
    }
    report.finish();
    Ok(report)
}

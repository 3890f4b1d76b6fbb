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

use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sqlx::mysql::{MySqlConnection, MySqlPool, MySqlRow};
use sqlx::pool::PoolConnection;
use sqlx::{Acquire, Executor, MySql, Row};
use tokio_util::sync::CancellationToken;

use super::audit_prove::{Prover, Verdict};
use super::audit_sql::TableSql;
use crate::capture::template::{fill, statement};
use crate::capture::{self, CaptureError, TableShape};
use crate::certyo::CertyoClient;
use crate::cli::AuditArgs;
use crate::config::{ApiConfig, DbConfig};
use crate::error::DbError;
use crate::writeback::{parse_record_id, KeyValue};

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

/// Settings of one audit run.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Tables to audit; empty: every captured table.
    pub tables: Vec<String>,
    /// Rows per chunk.
    pub chunk: usize,
    /// Altered and gone rows listed per table (all are counted, and all are marked).
    pub limit: usize,
    /// Set `certyo_anchor_status = 'Altered'` on altered rows.
    pub mark: bool,
    /// Also ask Certyo about up to this many rows per table that matched locally
    /// (`--prove N`; `u64::MAX` for all), spread over the table.
    pub sample: u64,
    /// Start after this primary key (key values as text, in key order): resume an
    /// interrupted audit of one table (`--resume-after`).
    pub resume_after: Option<Vec<String>>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            tables: Vec::new(),
            chunk: DEFAULT_CHUNK,
            limit: 100,
            mark: false,
            sample: 0,
            resume_after: None,
        }
    }
}

/// A row whose content is not what its last delivered version carried.
#[derive(Debug, Clone, Serialize)]
pub struct AlteredRow {
    pub record_id: String,
    /// `certyo_anchor_status` when read (Pending, Anchored, Failed, Altered).
    pub status: String,
    /// When the version it was anchored as was delivered (`certyo_ingested_at`).
    pub delivered_at: Option<DateTime<Utc>>,
    /// When Certyo confirmed that version anchored (`certyo_verified_at`).
    pub anchored_at: Option<DateTime<Utc>>,
    /// What Certyo said of the current content, when asked (`--prove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The payload as the row renders now (for the proof; not printed).
    #[serde(skip)]
    pub payload: String,
}

/// A record whose newest queue event is not a delete, yet whose row is gone.
#[derive(Debug, Clone, Serialize)]
pub struct GoneRow {
    pub record_id: String,
    /// The newest queue event of the record (`insert`, `update`, `upsert`).
    pub last_op: String,
    pub queue_id: i64,
    pub delivered: bool,
}

/// One table's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableAudit {
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Delivered, and the row still renders as the payload delivered.
    pub matching: u64,
    /// Delivered, and the row renders differently now.
    pub altered: u64,
    /// No version ever delivered (no status, no digest).
    pub never_delivered: u64,
    /// Changed through capture; the new version is not delivered yet.
    pub awaiting_delivery: u64,
    /// Delivered before certyo-queue wrote payload digests back: cannot be compared
    /// locally (re-anchor with `backfill --restart`, or prove with Certyo).
    pub delivered_without_digest: u64,
    /// Queue records whose row is gone without a delete event.
    pub gone: u64,
    /// Rows this run marked 'Altered'.
    pub marked: u64,
    /// Up to `--limit` altered rows, in key order.
    pub altered_rows: Vec<AlteredRow>,
    /// Up to `--limit` gone records.
    pub gone_rows: Vec<GoneRow>,
    /// Matching rows asked about so far (`--prove`).
    #[serde(skip)]
    pub sampled: u64,
    /// Outcome counts of the proof, when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofCounts>,
}

/// What Certyo said when asked about rows' current content.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProofCounts {
    /// Rows asked about.
    pub asked: u64,
    /// Certyo: this content is the anchored version.
    pub anchored: u64,
    /// Certyo: this content is the latest version, not anchored yet.
    pub pending: u64,
    /// Certyo: this content is not the version it holds.
    pub differs: u64,
    /// Certyo does not know the record.
    pub unknown: u64,
    /// The call failed (network, 429/5xx after retries, unreadable answer).
    pub failed: u64,
}

/// The whole report; `--json` prints exactly this.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub database: String,
    /// True when nothing is altered or gone (exit code 0; otherwise 2).
    pub clean: bool,
    pub tables: Vec<TableAudit>,
    /// Stopped early (Ctrl-C): the counts cover the rows read so far.
    pub interrupted: bool,
    /// When interrupted: the table and the last key done, to resume with
    /// `--table T --resume-after KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// Where an interrupted audit stopped.
#[derive(Debug, Clone, Serialize)]
pub struct Resume {
    pub table: String,
    /// The last key compared, a JSON array of the key values as text.
    pub after: String,
}

impl AuditReport {
    pub fn finish(&mut self) {
        self.clean = self.tables.iter().all(|t| t.altered == 0 && t.gone == 0);
    }
}

/// Where a run stands, after each chunk.
#[derive(Debug, Clone)]
pub struct Progress {
    pub table: String,
    pub rows: u64,
    pub altered: u64,
    /// InnoDB's estimate of the table's rows (0 when unknown); for display only.
    pub estimated_rows: u64,
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

/// The table's shape, if it has the tracking columns an audit compares.
async fn audited_shape(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<TableShape, AuditError> {
    let shape = capture::inspect_existing(conn, schema, table).await?;
    if shape.pk.is_empty() {
        return Err(CaptureError::NoPrimaryKey(shape.name.clone()).into());
    }
    if !shape.has_column("certyo_anchor_status") {
        return Err(AuditError::NotTracked(shape.name.clone()));
    }
    if !shape.has_column("certyo_payload_sha256") {
        return Err(AuditError::NoDigestColumn(shape.name.clone()));
    }
    // The rendering options: `inspect` takes "none" when it may not read them (the
    // worker needs none), but a digested column rendered raw would look altered.
    match sqlx::query(include_str!("../../sql/capture_digest_list.sql"))
        .bind(&shape.name)
        .fetch_all(&mut *conn)
        .await
    {
        Ok(_) => {}
        Err(e) if crate::db::classify(&e) == crate::db::DbErrorKind::Privilege => {
            return Err(AuditError::Privilege("certyo_capture_digest"))
        }
        // 42S02: no digest options table yet (before migration V6): none are set.
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42S02") => {}
        Err(e) => return Err(DbError::query("reading the rendering options")(e).into()),
    }
    Ok(shape)
}

async fn estimate_rows(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<u64, AuditError> {
    let n = sqlx::query_scalar::<_, i64>(statement(include_str!(
        "../../sql/backfill_estimate_rows.sql"
    )))
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(DbError::query("estimating the table's size"))?
    .unwrap_or(0);
    Ok(n.max(0) as u64)
}

/// What one table's scan needs besides the statements.
struct ScanConfig<'a> {
    /// Where `--mark` takes its connection from.
    pool: &'a MySqlPool,
    cfg: &'a AuditConfig,
    prover: Option<&'a Prover>,
    /// Matching rows to ask Certyo about per chunk.
    per_chunk: u64,
}

/// The local pass over one table (and the proof, with a prover); false when stopped
/// early.
async fn scan(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    scan: &ScanConfig<'_>,
    table: &mut TableAudit,
    last: &mut Option<Vec<String>>,
    stop: &CancellationToken,
    on_chunk: &mut (dyn FnMut(&TableAudit) + Send),
) -> Result<bool, AuditError> {
    let cfg = scan.cfg;
    loop {
        if stop.is_cancelled() {
            return Ok(false);
        }
        let after = sql.after(last.as_deref());
        let end_sql = fill(&sql.chunk_end, &[("after", &after.text)]);
        let q = sql
            .bind(
                sqlx::query(sqlx::AssertSqlSafe(end_sql.as_str())),
                &after.binds,
            )
            .bind((cfg.chunk - 1) as i64);
        let mut end = read_key(
            q.fetch_optional(&mut *conn).await,
            sql.key_len(),
            "finding the end of an audit chunk",
        )?;
        if end.is_none() {
            let last_sql = fill(&sql.last_key, &[("after", &after.text)]);
            let q = sql.bind(
                sqlx::query(sqlx::AssertSqlSafe(last_sql.as_str())),
                &after.binds,
            );
            end = read_key(
                q.fetch_optional(&mut *conn).await,
                sql.key_len(),
                "finding the last key",
            )?;
        }
        let Some(end) = end else {
            return Ok(true);
        };
        let upto = sql.upto(&end);
        let chunk_sql =
            |template: &str| fill(template, &[("after", &after.text), ("upto", &upto.text)]);
        let counts_sql = chunk_sql(&sql.counts);
        let q = sql.bind(
            sql.bind(
                sqlx::query(sqlx::AssertSqlSafe(counts_sql.as_str())),
                &after.binds,
            ),
            &upto.binds,
        );
        let rows = q.fetch_all(&mut *conn).await.map_err(DbError::query(
            "comparing a chunk with its anchored digests",
        ))?;
        let mut altered_here = 0;
        for row in rows {
            let decode = DbError::query("decoding an audit chunk's counts");
            let class: i64 = row.try_get(0).map_err(decode)?;
            let n: i64 = row
                .try_get(1)
                .map_err(DbError::query("decoding an audit chunk's counts"))?;
            let n = n.max(0) as u64;
            table.rows += n;
            match class {
                0 => table.never_delivered += n,
                1 => table.awaiting_delivery += n,
                2 => table.delivered_without_digest += n,
                3 => table.matching += n,
                // Counted from the listing below (read a moment later).
                _ => altered_here += n,
            }
        }
        if altered_here > 0 {
            let altered_sql = chunk_sql(&sql.altered);
            let q = sql.bind(
                sql.bind(
                    sqlx::query(sqlx::AssertSqlSafe(altered_sql.as_str())),
                    &after.binds,
                ),
                &upto.binds,
            );
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::query("reading a chunk's altered rows"))?;
            let mut keys: Vec<Vec<String>> = Vec::with_capacity(rows.len());
            let mut found: Vec<AlteredRow> = Vec::with_capacity(rows.len());
            for row in &rows {
                found.push(altered_row(row)?);
                keys.push(read_key_at(row, 5, sql.key_len())?);
            }
            if let Some(prover) = scan.prover {
                let verdicts = prover.ask(&table.table, &found).await?;
                let mut kept = (Vec::new(), Vec::new());
                for ((mut row, key), v) in found.into_iter().zip(keys).zip(verdicts) {
                    if let Some(p) = table.proof.as_mut() {
                        v.count(p);
                    }
                    // Certyo holds exactly this content: the local digest was wrong
                    // (e.g. a version rendered by older triggers), the row is not altered.
                    if matches!(v, Verdict::Anchored | Verdict::Pending) {
                        table.matching += 1;
                        continue;
                    }
                    row.proof = Some(v.describe().to_string());
                    kept.0.push(row);
                    kept.1.push(key);
                }
                (found, keys) = kept;
            }
            table.altered += found.len() as u64;
            for row in found {
                if table.altered_rows.len() < cfg.limit {
                    table.altered_rows.push(row);
                }
            }
            if cfg.mark {
                for part in keys.chunks(ROWS_PER_STATEMENT) {
                    table.marked += mark(scan.pool, sql, part).await?;
                }
            }
        }
        if let Some(prover) = scan.prover.filter(|_| table.sampled < cfg.sample) {
            let want = (cfg.sample - table.sampled).min(scan.per_chunk);
            let sample_sql = chunk_sql(&sql.delivered);
            let q = sql
                .bind(
                    sql.bind(
                        sqlx::query(sqlx::AssertSqlSafe(sample_sql.as_str())),
                        &after.binds,
                    ),
                    &upto.binds,
                )
                .bind(want as i64);
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::query("reading matching rows for a proof"))?;
            let mut sample = Vec::with_capacity(rows.len());
            for row in &rows {
                sample.push(altered_row(row)?);
            }
            table.sampled += sample.len() as u64;
            let verdicts = prover.ask(&table.table, &sample).await?;
            for (mut row, v) in sample.into_iter().zip(verdicts) {
                if let Some(p) = table.proof.as_mut() {
                    v.count(p);
                }
                // Matched its digest, yet Certyo holds other content: the row and its
                // tracking columns are an older version's (restored from a backup).
                if v == Verdict::Differs {
                    table.altered += 1;
                    table.matching = table.matching.saturating_sub(1);
                    row.proof = Some(format!(
                        "{} (the row matches an older delivered version: restored with its tracking columns?)",
                        v.describe()
                    ));
                    if table.altered_rows.len() < cfg.limit {
                        table.altered_rows.push(row);
                    }
                }
            }
        }
        on_chunk(table);
        *last = Some(end);
    }
}

fn altered_row(row: &MySqlRow) -> Result<AlteredRow, AuditError> {
    let decode = || DbError::query("decoding an audited row");
    Ok(AlteredRow {
        record_id: row.try_get(0).map_err(decode())?,
        status: row.try_get(1).map_err(decode())?,
        delivered_at: row.try_get(2).map_err(decode())?,
        anchored_at: row.try_get(3).map_err(decode())?,
        proof: None,
        payload: row.try_get(4).map_err(decode())?,
    })
}

fn read_key(
    row: Result<Option<MySqlRow>, sqlx::Error>,
    n: usize,
    context: &'static str,
) -> Result<Option<Vec<String>>, AuditError> {
    match row.map_err(DbError::query(context))? {
        None => Ok(None),
        Some(row) => read_key_at(&row, 0, n).map(Some),
    }
}

fn read_key_at(row: &MySqlRow, from: usize, n: usize) -> Result<Vec<String>, AuditError> {
    (from..from + n)
        .map(|i| row.try_get::<String, _>(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DbError::query("decoding a primary key")(e).into())
}

/// Holds the marking connection; unless disarmed, detaches it from the pool on drop,
/// so a set capture marker (or an open transaction) dies with the socket.
struct MarkerGuard(Option<PoolConnection<MySql>>);

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// `--mark`: set 'Altered' on the rows `keys` that are still altered; returns how many.
async fn mark(pool: &MySqlPool, sql: &TableSql, keys: &[Vec<String>]) -> Result<u64, AuditError> {
    let conn = pool
        .acquire()
        .await
        .map_err(DbError::query("connecting to mark altered rows"))?;
    let mut guard = MarkerGuard(Some(conn));
    let Some(conn) = guard.0.as_mut() else {
        return Ok(0);
    };
    let mut tx = conn
        .begin()
        .await
        .map_err(DbError::query("beginning the mark"))?;
    tx.execute(include_str!("../../sql/session_writeback_marker_set.sql"))
        .await
        .map_err(DbError::query("setting the capture marker"))?;
    let rows = sql.rows(keys);
    let mark_sql = fill(&sql.mark, &[("keys", &rows.text)]);
    let marked = sql
        .bind(
            sqlx::query(sqlx::AssertSqlSafe(mark_sql.as_str())),
            &rows.binds,
        )
        .execute(&mut *tx)
        .await
        .map_err(DbError::query("marking altered rows"))?
        .rows_affected();
    tx.execute(include_str!("../../sql/session_writeback_marker_clear.sql"))
        .await
        .map_err(DbError::query("clearing the capture marker"))?;
    tx.commit()
        .await
        .map_err(DbError::query("committing the mark"))?;
    // Marker cleared and committed: the connection is clean, return it to the pool.
    drop(guard.0.take());
    Ok(marked)
}

/// The queue-side check: records whose newest event is not a delete but whose row is
/// gone. Reads one snapshot.
async fn gone(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    cfg: &AuditConfig,
    table: &mut TableAudit,
) -> Result<(), AuditError> {
    conn.execute(include_str!("../../sql/audit_snapshot_isolation.sql"))
        .await
        .map_err(DbError::query("choosing the snapshot's isolation"))?;
    conn.execute(include_str!("../../sql/audit_snapshot_begin.sql"))
        .await
        .map_err(DbError::query("beginning the queue-side snapshot"))?;
    let result = gone_in_snapshot(conn, sql, cfg, table).await;
    let end = conn
        .execute(include_str!("../../sql/audit_snapshot_end.sql"))
        .await
        .map_err(DbError::query("ending the queue-side snapshot"));
    result?;
    end?;
    Ok(())
}

async fn gone_in_snapshot(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    cfg: &AuditConfig,
    table: &mut TableAudit,
) -> Result<(), AuditError> {
    let mut after = String::new();
    loop {
        let rows = sqlx::query(statement(include_str!("../../sql/audit_queue_records.sql")))
            .bind(&table.table)
            .bind(&after)
            .bind(ROWS_PER_STATEMENT as i64)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| match crate::db::classify(&e) {
                crate::db::DbErrorKind::Privilege => AuditError::Privilege("certyo_queue"),
                _ => DbError::query("reading the queue's newest event per record")(e).into(),
            })?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last
            .try_get(0)
            .map_err(DbError::query("decoding queue records"))?;
        let full = rows.len() == ROWS_PER_STATEMENT;
        let mut live: Vec<(GoneRow, Vec<String>)> = Vec::new();
        for row in &rows {
            let decode = || DbError::query("decoding queue records");
            let record = GoneRow {
                record_id: row.try_get(0).map_err(decode())?,
                queue_id: row.try_get(1).map_err(decode())?,
                last_op: row.try_get(2).map_err(decode())?,
                delivered: row.try_get::<bool, _>(3).map_err(decode())?,
            };
            if record.last_op == "delete" {
                continue;
            }
            // A record id that does not parse as this table's key names no row of it.
            if let Some(key) = parse_record_id(&record.record_id, sql.key_len()) {
                let key = key
                    .into_iter()
                    .map(|k| match k {
                        KeyValue::Int(i) => i.to_string(),
                        KeyValue::Text(s) => s,
                    })
                    .collect();
                live.push((record, key));
            }
        }
        if !live.is_empty() {
            let present = present(conn, sql, &live).await?;
            for (record, _) in live {
                if !present.contains_key(&record.record_id) {
                    table.gone += 1;
                    if table.gone_rows.len() < cfg.limit {
                        table.gone_rows.push(record);
                    }
                }
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// Which of these records still have their row (by record id).
async fn present(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    records: &[(GoneRow, Vec<String>)],
) -> Result<HashMap<String, ()>, AuditError> {
    let values = sql.present_values(records.len());
    let text = fill(&sql.present, &[("values", &values)]);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text.as_str()));
    for (record, key) in records {
        q = q.bind(record.record_id.clone());
        let binds: Vec<(usize, String)> = key.iter().cloned().enumerate().collect();
        q = sql.bind(q, &binds);
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(DbError::query(
        "looking up the queue's records in the table",
    ))?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map(|id| (id, ())))
        .collect::<Result<_, _>>()
        .map_err(|e| DbError::query("decoding present records")(e).into())
}

/// The text report.
pub fn render_text(report: &AuditReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for t in &report.tables {
        let _ = writeln!(
            out,
            "audit `{}`: {} rows: {} match, {} altered, {} never delivered, {} awaiting delivery, {} delivered without a digest; {} gone without a delete event{}",
            t.table,
            t.rows,
            t.matching,
            t.altered,
            t.never_delivered,
            t.awaiting_delivery,
            t.delivered_without_digest,
            t.gone,
            if t.marked > 0 {
                format!("; {} marked Altered", t.marked)
            } else {
                String::new()
            }
        );
        for a in &t.altered_rows {
            let _ = writeln!(
                out,
                "  altered: record {} ({}, delivered {}, anchored {}){}",
                a.record_id,
                a.status,
                when(a.delivered_at),
                when(a.anchored_at),
                a.proof
                    .as_deref()
                    .map(|p| format!("; Certyo: {p}"))
                    .unwrap_or_default()
            );
        }
        if (t.altered_rows.len() as u64) < t.altered {
            let _ = writeln!(
                out,
                "  … and {} more altered rows (--limit)",
                t.altered - t.altered_rows.len() as u64
            );
        }
        for g in &t.gone_rows {
            let _ = writeln!(
                out,
                "  gone: record {} (newest queue event: {} #{}, {})",
                g.record_id,
                g.last_op,
                g.queue_id,
                if g.delivered {
                    "delivered"
                } else {
                    "not delivered yet"
                }
            );
        }
        if (t.gone_rows.len() as u64) < t.gone {
            let _ = writeln!(
                out,
                "  … and {} more gone records (--limit)",
                t.gone - t.gone_rows.len() as u64
            );
        }
        if let Some(p) = &t.proof {
            let _ = writeln!(
                out,
                "  proof by Certyo: {} asked: {} anchored, {} pending, {} differ, {} unknown to Certyo, {} failed",
                p.asked, p.anchored, p.pending, p.differs, p.unknown, p.failed
            );
        }
    }
    if report.interrupted {
        let _ = writeln!(
            out,
            "interrupted: the counts cover the rows read so far{}",
            match &report.resume {
                Some(r) => format!(
                    "; to go on: certyo-queue audit --table {} --resume-after '{}'",
                    r.table, r.after
                ),
                None => "; run the same command again".into(),
            }
        );
    }
    out
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

/// Progress display: a line that rewrites itself on a terminal, a log line every 5 s
/// otherwise.
pub fn progress_printer() -> impl FnMut(&Progress) + Send {
    let terminal = std::io::stderr().is_terminal();
    let mut last_log: Option<Instant> = None;
    move |p: &Progress| {
        let of = if p.estimated_rows > 0 {
            let pct = (p.rows as f64 * 100.0 / p.estimated_rows as f64).min(100.0);
            format!(" of ~{} ({pct:.0}%)", p.estimated_rows)
        } else {
            String::new()
        };
        if terminal {
            eprint!(
                "\raudit {}: {} rows compared{of}, {} altered   ",
                p.table, p.rows, p.altered
            );
        } else if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            last_log = Some(Instant::now());
            tracing::info!(event = "audit.progress",
                table = %p.table,
                rows = p.rows,
                altered = p.altered,
                estimated_rows = p.estimated_rows,
                "audit.progress: {} rows compared{of}, {} altered",
                p.rows,
                p.altered
            );
        }
    }
}

/// The exit code of a finished report: 0 clean, 2 something altered or gone.
pub fn exit_code(report: &AuditReport) -> ExitCode {
    if report.clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ALTERED)
    }
}

/// `certyo-queue audit [--table T]… [--json] [--limit N] [--mark] [--prove N|all]`.
pub async fn run_cli(args: &AuditArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let has_key = args.api.api_key.is_some() || args.api.api_key_file.is_some();
    let prover = if args.local || (!has_key && args.prove.is_none()) {
        None
    } else {
        // --prove without a key fails here, naming the missing setting.
        let api = ApiConfig::from_args(&args.api, &schema)?;
        Some(Prover {
            client: CertyoClient::new(api, args.api.api_key_file.clone())?,
            concurrency: args.concurrency,
        })
    };
    let cfg = AuditConfig {
        tables: args.tables.clone(),
        chunk: args.chunk,
        limit: args.limit,
        mark: args.mark,
        sample: args.prove.unwrap_or(0),
        resume_after: match &args.resume_after {
            None => None,
            Some(text) => {
                Some(serde_json::from_str::<Vec<String>>(text).map_err(|_| AuditError::Resume)?)
            }
        },
    };
    let pool = crate::db::connect(&db, 2).await?;
    let terminal = std::io::stderr().is_terminal();
    let mut show = progress_printer();
    let result = run(&pool, &schema, &cfg, prover.as_ref(), &stop, &mut show).await;
    if terminal {
        eprintln!();
    }
    pool.close().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
        if prover.is_none() && !report.clean {
            println!("(local pass only: set CERTYO_API_KEY and CERTYO_TENANT_ID to have Certyo confirm the altered rows)");
        }
    }
    if report.interrupted {
        return Ok(ExitCode::from(crate::shutdown::signal_exit_code()));
    }
    Ok(exit_code(&report))
}

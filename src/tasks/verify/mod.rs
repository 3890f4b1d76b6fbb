//! Verification: asks Certyo whether delivered rows are anchored, and records the answer
//! on the source rows (`certyo_anchor_status`, `certyo_verified_at`).
//!
//! A round, per captured table: read up to `batch` rows that are 'Pending', ingested at
//! least `verify_after` ago and due (`certyo_verify_next_at` NULL or past), oldest first;
//! ask `POST /api/v1/verify/record` for each, at most `concurrency` at a time; then write
//! all answers in one short transaction:
//! - anchored → 'Anchored' + `certyo_verified_at`;
//! - not yet (including 404: Certyo does not know the record yet) → stays 'Pending',
//!   `certyo_verify_next_at` = now + min(age / 2, `backoff_max`), so young rows are
//!   asked often and stuck ones rarely, and stuck rows never crowd the rest out of the
//!   batch;
//! - not yet and ingested `anchor_timeout` ago or more → 'Failed' (logged).
//!
//! Invariants:
//! - Every write is conditional on the row still being the version read (same primary
//!   key, same `certyo_ingested_at`, still 'Pending'): a row changed meanwhile keeps its
//!   newer state, never an older version's result.
//! - Writes touch tracking columns only, pin ON UPDATE CURRENT_TIMESTAMP columns, and
//!   run with the trigger guard `@certyo_queue_writeback` set (and cleared before the
//!   commit), so they never enqueue a change.
//! - No transaction is open during an HTTP call.
//! - Retryable API errors (429, 5xx, transport) leave the row untouched for the next
//!   round; a 429's Retry-After pauses the round; three retryable errors in a row end
//!   it. 401/403 end the round with an error (the key or tenant is wrong).

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::mysql::{MySqlPool, MySqlRow};
use sqlx::{Acquire, Row};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::certyo::{ApiError, CertyoClient, Retry, VerifyRequest, VerifyResponse};
use crate::error::{ConfigError, DbError};
use crate::sql::{fill, fragment, fragments, quote_ident, statement};

use super::TaskError;

/// Settings of the verification job.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// How long after ingestion a row is first checked (default 2 min).
    pub verify_after: Duration,
    /// Not anchored this long after ingestion → 'Failed' (default 24 h).
    pub anchor_timeout: Duration,
    /// Rows checked per table per round (default 500).
    pub batch: usize,
    /// Concurrent verify requests (default 8).
    pub concurrency: usize,
    /// Longest delay before a not-yet-anchored row is checked again (default 1 h).
    pub backoff_max: Duration,
    /// Pause after a 429 that carried no Retry-After (default 1 s).
    pub rate_limit_pause: Duration,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            verify_after: Duration::from_secs(120),
            anchor_timeout: Duration::from_secs(24 * 3600),
            batch: 500,
            concurrency: 8,
            backoff_max: Duration::from_secs(3600),
            rate_limit_pause: Duration::from_secs(1),
        }
    }
}

impl VerifyConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch == 0 || self.batch > 10_000 {
            return Err(ConfigError::Invalid {
                name: "--verify-batch",
                reason: format!("{} is outside 1..=10000", self.batch),
            });
        }
        if self.concurrency == 0 || self.concurrency > 256 {
            return Err(ConfigError::Invalid {
                name: "--verify-concurrency",
                reason: format!("{} is outside 1..=256", self.concurrency),
            });
        }
        if self.anchor_timeout <= self.verify_after {
            return Err(ConfigError::Invalid {
                name: "--anchor-timeout",
                reason: "must be longer than --verify-after".into(),
            });
        }
        Ok(())
    }
}

/// What one verification round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub tables: u64,
    /// Rows asked about.
    pub checked: u64,
    pub anchored: u64,
    /// Still Pending, to be asked again later.
    pub not_yet: u64,
    pub failed: u64,
    /// Left untouched after a retryable API error.
    pub retry_later: u64,
    /// Answers not written because the row changed meanwhile.
    pub superseded: u64,
    pub elapsed: Duration,
}

/// A table the verifier checks: its name and primary-key columns (checked against
/// information_schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyTable {
    pub name: String,
    pub pk_columns: Vec<String>,
    /// Per key column: binary, kept as hex in record_id (read with HEX, matched with
    /// UNHEX).
    pub hex_key: Vec<bool>,
    /// The record id expression the capture triggers use, over the bare table.
    pub record_id_sql: Option<String>,
}

/// The verification job.
#[derive(Clone)]
pub struct Verifier {
    pool: MySqlPool,
    client: CertyoClient,
    schema: String,
    cfg: VerifyConfig,
}

/// One candidate row.
struct Candidate {
    pk: Vec<String>,
    record_id: String,
    ingested_at: DateTime<Utc>,
    age: Duration,
}

/// What to write for one row.
enum VerifyMark {
    Anchored,
    Later(Duration),
    Failed,
}

impl Verifier {
    pub fn new(
        pool: MySqlPool,
        client: CertyoClient,
        schema: impl Into<String>,
        cfg: VerifyConfig,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Verifier {
            pool,
            client,
            schema: schema.into(),
            cfg,
        })
    }

    /// One round over every captured table.
    pub async fn run_once(&self, stop: &CancellationToken) -> Result<VerifyReport, TaskError> {
        let started = Instant::now();
        let mut report = VerifyReport::default();
        let tables = self.tables().await?;
        let mut result = Ok(());
        for table in &tables {
            if stop.is_cancelled() {
                break;
            }
            report.tables += 1;
            self.count_altered(&table.name).await;
            match self.verify_table(table, stop, &mut report).await {
                Ok(true) => {}
                Ok(false) => break, // the API is struggling: next round
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        report.elapsed = started.elapsed();
        for (outcome, n) in [
            ("anchored", report.anchored),
            ("not_yet", report.not_yet),
            ("failed", report.failed),
            ("retry_later", report.retry_later),
            ("superseded", report.superseded),
        ] {
            metrics::counter!(crate::telemetry::VERIFY_OUTCOMES, "outcome" => outcome).increment(n);
        }
        tracing::info!(
            event = "verify.run",
            tables = report.tables,
            checked = report.checked,
            anchored = report.anchored,
            not_yet = report.not_yet,
            failed = report.failed,
            retry_later = report.retry_later,
            superseded = report.superseded,
            elapsed_ms = report.elapsed.as_millis() as u64,
            "verify.run: {} checked, {} anchored, {} not yet, {} failed",
            report.checked,
            report.anchored,
            report.not_yet,
            report.failed
        );
        result.map(|()| report)
    }

    /// The tables to check: the captured tables of the schema, with their key columns.
    pub async fn tables(&self) -> Result<Vec<VerifyTable>, TaskError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting to list the captured tables"))?;
        let tables = crate::capture::captured_tables(&mut conn, &self.schema).await?;
        Ok(tables
            .into_iter()
            .filter(|t| !t.pk_columns.is_empty())
            .map(|t| VerifyTable {
                name: t.name,
                pk_columns: t.pk_columns,
                hex_key: t.hex_key,
                record_id_sql: t.record_id_sql,
            })
            .collect())
    }

    /// Check one table's due rows. `Ok(false)` ends the round early (API struggling).
    async fn verify_table(
        &self,
        table: &VerifyTable,
        stop: &CancellationToken,
        report: &mut VerifyReport,
    ) -> Result<bool, TaskError> {
        let sql = TableSql::new(table, self.keep_columns(&table.name).await?);
        let candidates = self.candidates(&sql).await?;
        if candidates.is_empty() {
            return Ok(true);
        }
        let (answers, end) = self.ask(&table.name, &candidates, stop).await;
        report.checked += answers.len() as u64;
        let timeout = self.cfg.anchor_timeout;
        let mut writes = Vec::with_capacity(answers.len());
        for (i, answer) in answers {
            let row = &candidates[i];
            let outcome = match answer {
                Ok(v) if v.is_anchored() => VerifyMark::Anchored,
                Ok(_) | Err(ApiError::Rejected { .. }) if row.age >= timeout => {
                    tracing::warn!(event = "verify.failed",
                        table = %table.name, record_id = %row.record_id, age_s = row.age.as_secs(),
                        "verify.failed: not anchored {:?} after ingestion; marked Failed", timeout
                    );
                    VerifyMark::Failed
                }
                Ok(_) => VerifyMark::Later(self.backoff(row.age)),
                Err(ApiError::Rejected { status, message }) => {
                    tracing::debug!(table = %table.name, record_id = %row.record_id, status, %message,
                        "verify.unknown: Certyo does not know this record yet");
                    VerifyMark::Later(self.backoff(row.age))
                }
                Err(_) => {
                    report.retry_later += 1;
                    continue;
                }
            };
            writes.push((i, outcome));
        }
        self.write(&sql, &candidates, &writes, report).await?;
        match end {
            RoundEnd::Done => Ok(true),
            RoundEnd::Struggling => Ok(false),
            RoundEnd::Auth(e) => {
                tracing::error!(event = "verify.auth", error = %e, "verify.auth: Certyo refused the credentials, or the base URL leads elsewhere (a redirect); verification stopped until fixed");
                Err(TaskError::Api(e))
            }
        }
    }

    fn backoff(&self, age: Duration) -> Duration {
        let until_timeout = self.cfg.anchor_timeout.saturating_sub(age);
        (age / 2).min(self.cfg.backoff_max).min(until_timeout)
    }

    /// Refresh the gauge `certyo_rows_altered{table}`: rows `audit --mark` found changed
    /// behind capture's back. A failure is logged and leaves the gauge as it was (the
    /// round's own work does not depend on it).
    async fn count_altered(&self, table: &str) {
        if crate::capture::check_name(table).is_err() {
            return;
        }
        let sql = fill(
            statement(include_str!("../../sql/captured_count_altered.sql")),
            &[("table", &quote_ident(table))],
        );
        match sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_one(&self.pool)
            .await
        {
            Ok(n) => metrics::gauge!(crate::telemetry::ROWS_ALTERED, "table" => table.to_string())
                .set(n.max(0) as f64),
            Err(e) => {
                tracing::warn!(event = "verify.count_altered", table, error = %e, "verify.count_altered failed")
            }
        }
    }

    async fn keep_columns(&self, table: &str) -> Result<Vec<String>, DbError> {
        sqlx::query_scalar(include_str!("../../sql/columns_on_update.sql"))
            .bind(&self.schema)
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("reading ON UPDATE columns"))
    }

    async fn candidates(&self, sql: &TableSql) -> Result<Vec<Candidate>, DbError> {
        let after_us = micros(self.cfg.verify_after);
        let rows: Vec<MySqlRow> = sqlx::query(sqlx::AssertSqlSafe(sql.select.as_str()))
            .bind(after_us)
            .bind(self.cfg.batch as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("reading Pending rows to verify"))?;
        let n = sql.pk_len;
        let decode = |row: &MySqlRow| -> Result<Candidate, sqlx::Error> {
            let mut pk = Vec::with_capacity(n);
            for i in 0..n {
                pk.push(row.try_get::<String, _>(i)?);
            }
            let age_us: Option<i64> = row.try_get("age_us")?;
            Ok(Candidate {
                pk,
                record_id: row.try_get("record_id")?,
                ingested_at: row.try_get("certyo_ingested_at")?,
                age: Duration::from_micros(age_us.unwrap_or(0).max(0) as u64),
            })
        };
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map_err(DbError::query("decoding Pending rows to verify"))
    }

    /// Ask Certyo about each candidate, `concurrency` at a time. Returns the answers
    /// (by candidate index) and why dispatching ended.
    async fn ask(
        &self,
        collection: &str,
        candidates: &[Candidate],
        stop: &CancellationToken,
    ) -> (Vec<(usize, Result<VerifyResponse, ApiError>)>, RoundEnd) {
        let mut in_flight = JoinSet::new();
        let mut answers = Vec::with_capacity(candidates.len());
        let mut next = 0;
        let mut end = RoundEnd::Done;
        let mut pause_until: Option<tokio::time::Instant> = None;
        let mut retryable_in_a_row = 0u32;
        loop {
            let dispatching = matches!(end, RoundEnd::Done) && !stop.is_cancelled();
            if dispatching && next < candidates.len() && in_flight.len() < self.cfg.concurrency {
                if let Some(t) = pause_until.take() {
                    tokio::select! {
                        _ = stop.cancelled() => continue,
                        _ = tokio::time::sleep_until(t) => {}
                    }
                }
                let req = VerifyRequest {
                    tenant_id: self.client.config().tenant_id.clone(),
                    database: self.client.config().database.clone(),
                    collection: collection.to_string(),
                    record_id: candidates[next].record_id.clone(),
                };
                let client = self.client.clone();
                let i = next;
                in_flight.spawn(async move { (i, client.verify(&req).await) });
                next += 1;
                continue;
            }
            let Some(joined) = in_flight.join_next().await else {
                break;
            };
            let Ok((i, answer)) = joined else {
                continue; // a panicked request task: the row stays for the next round
            };
            match &answer {
                Err(e) => match e.retry() {
                    Retry::AfterConfigFix => {
                        if matches!(end, RoundEnd::Done | RoundEnd::Struggling) {
                            in_flight.abort_all();
                            end = RoundEnd::Auth(clone_auth(e));
                        }
                    }
                    Retry::Later(after) => {
                        retryable_in_a_row += 1;
                        tracing::warn!(event = "verify.retry", error = %e, "verify.retry: Certyo answered with a retryable error");
                        if let ApiError::RateLimited { .. } = e {
                            let wait = after.unwrap_or(self.cfg.rate_limit_pause);
                            pause_until = Some(
                                tokio::time::Instant::now() + wait.min(Duration::from_secs(60)),
                            );
                        }
                        if retryable_in_a_row >= 3 && matches!(end, RoundEnd::Done) {
                            end = RoundEnd::Struggling;
                        }
                    }
                    Retry::Never => retryable_in_a_row = 0,
                },
                Ok(_) => retryable_in_a_row = 0,
            }
            answers.push((i, answer));
        }
        (answers, end)
    }

    async fn write(
        &self,
        sql: &TableSql,
        candidates: &[Candidate],
        writes: &[(usize, VerifyMark)],
        report: &mut VerifyReport,
    ) -> Result<(), DbError> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the verification write-back"))?;
        let counts = write_back(&mut conn, sql, candidates, writes).await;
        match counts {
            Ok((anchored, not_yet, failed, superseded)) => {
                report.anchored += anchored;
                report.not_yet += not_yet;
                report.failed += failed;
                report.superseded += superseded;
                Ok(())
            }
            Err(e) => {
                // The trigger guard may still be set on this session: never pool it again.
                conn.close_on_drop();
                Err(e)
            }
        }
    }
}

enum RoundEnd {
    Done,
    Struggling,
    Auth(ApiError),
}

fn clone_auth(e: &ApiError) -> ApiError {
    match e {
        ApiError::Auth { status, message } => ApiError::Auth {
            status: *status,
            message: message.clone(),
        },
        other => ApiError::Transport(other.to_string()),
    }
}

async fn write_back(
    conn: &mut sqlx::MySqlConnection,
    sql: &TableSql,
    candidates: &[Candidate],
    writes: &[(usize, VerifyMark)],
) -> Result<(u64, u64, u64, u64), DbError> {
    let ctx = "writing verification results";
    let mut tx = conn.begin().await.map_err(DbError::query(ctx))?;
    sqlx::query(include_str!("../../sql/session_writeback_marker_set.sql"))
        .execute(&mut *tx)
        .await
        .map_err(DbError::query(ctx))?;
    let (mut anchored, mut not_yet, mut failed, mut superseded) = (0, 0, 0, 0);
    for (i, outcome) in writes {
        let row = &candidates[*i];
        let mut q = match outcome {
            VerifyMark::Anchored => sqlx::query(sqlx::AssertSqlSafe(sql.anchored.as_str())),
            VerifyMark::Later(delay) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.later.as_str())).bind(micros(*delay))
            }
            VerifyMark::Failed => sqlx::query(sqlx::AssertSqlSafe(sql.failed.as_str())),
        };
        for v in &row.pk {
            q = q.bind(v);
        }
        let done = q
            .bind(row.ingested_at)
            .execute(&mut *tx)
            .await
            .map_err(DbError::query(ctx))?;
        if done.rows_affected() == 0 {
            superseded += 1;
            continue;
        }
        match outcome {
            VerifyMark::Anchored => anchored += 1,
            VerifyMark::Later(_) => not_yet += 1,
            VerifyMark::Failed => failed += 1,
        }
    }
    sqlx::query(include_str!("../../sql/session_writeback_marker_clear.sql"))
        .execute(&mut *tx)
        .await
        .map_err(DbError::query(ctx))?;
    tx.commit().await.map_err(DbError::query(ctx))?;
    Ok((anchored, not_yet, failed, superseded))
}

/// The statements of one table, with identifiers filled in (all checked against
/// information_schema, backtick-quoted).
struct TableSql {
    pk_len: usize,
    select: String,
    anchored: String,
    later: String,
    failed: String,
}

impl TableSql {
    fn new(table: &VerifyTable, keep: Vec<String>) -> Self {
        let t = quote_ident(&table.name);
        let by_key = |plain: &str, hex: &str| -> Vec<String> {
            table
                .pk_columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let name = if table.hex_key.get(i).copied().unwrap_or(false) {
                        hex
                    } else {
                        plain
                    };
                    fill(
                        fragment(&FRAGMENTS, name),
                        &[("col", &quote_ident(c)), ("i", &i.to_string())],
                    )
                })
                .collect()
        };
        let pk_values = by_key("pk_value", "pk_value_hex").join(", ");
        let pk_match = by_key("pk_match", "pk_match_hex").join(" AND ");
        let record_id = table
            .record_id_sql
            .clone()
            .unwrap_or_else(|| record_id_expr(&table.pk_columns));
        let keep: String = keep
            .iter()
            .map(|c| fill(fragment(&FRAGMENTS, "keep"), &[("col", &quote_ident(c))]))
            .collect();
        let with = |file: &str| {
            fill(
                statement(file),
                &[
                    ("table", &t),
                    ("pk_values", &pk_values),
                    ("record_id", &record_id),
                    ("pk_match", &pk_match),
                    ("keep", &keep),
                ],
            )
        };
        TableSql {
            pk_len: table.pk_columns.len(),
            select: with(include_str!("../../sql/captured_select_verify_due.sql")),
            anchored: with(include_str!("../../sql/captured_mark_anchored.sql")),
            later: with(include_str!("../../sql/captured_mark_verify_later.sql")),
            failed: with(include_str!("../../sql/captured_mark_failed.sql")),
        }
    }
}

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/captured_verify_fragments.sql")));

/// The SQL expression of a row's record id, as the capture triggers write it
/// (`crate::capture::triggers`): the key as text for a one-column key, a JSON array of
/// the key values in key order for a composite key.
fn record_id_expr(pk_columns: &[String]) -> String {
    match pk_columns {
        [one] => fill(
            fragment(&FRAGMENTS, "record_id_one"),
            &[("col", &quote_ident(one))],
        ),
        many => fill(
            fragment(&FRAGMENTS, "record_id_many"),
            &[(
                "cols",
                &many
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
        ),
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

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
//!
//! Layout: this module holds the [`Verifier`] and its round over every table;
//! `config` its settings and report; `round` one table's round (answers to marks);
//! `candidates` the due rows it asks about; `ask` the concurrent verify calls and how
//! they end a round; `marks` the conditional write-back of the marks; `table_sql` each
//! table's statements.

mod ask;
mod candidates;
mod config;
mod marks;
mod round;
mod table_sql;

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::certyo::CertyoClient;
use crate::error::{ConfigError, DbError};
use crate::sql::{fill, quote_ident, statement};

use super::TaskError;

pub use config::{VerifyConfig, VerifyReport};

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

    /// Refresh the gauge `certyo_rows_altered{table}`: rows `audit --mark` found changed
    /// behind capture's back. A failure is logged and leaves the gauge as it was (the
    /// round's own work does not depend on it).
    async fn count_altered(&self, table: &str) {
        if crate::capture::check_name(table).is_err() {
            return;
        }
        let sql = fill(
            statement(include_str!("../../../sql/captured_count_altered.sql")),
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
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

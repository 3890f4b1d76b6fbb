//! The poller: the leader job that captures the tables registered with source `poll`
//! (`migrate --capture poll`), one process at a time like cleanup and verification.
//!
//! A round, per polled table: pages of `batch` rows from the table's trailing window
//! (`capture::poll::poll_page`), each page one transaction that enqueues the page's new
//! versions and advances the checkpoint together, from the window's low end until a
//! short page (caught up); then the seen digests older than the window are pruned. Tables are
//! read from the registry every round, so a `migrate --capture poll` while `work` runs
//! is picked up at the next round.
//!
//! `certyo_capture_lag_seconds{table, source="poll"}`: after each page, 0 when the page
//! reached the end of the table (caught up), else the seconds between the database
//! clock and the newest stamp passed.
//!
//! Invariants:
//! - A crash (kill -9) at any point leaves every page either committed with its
//!   checkpoint or not at all: nothing skipped, nothing doubled.
//! - Two pollers at once (a leader that lost its lock mid-round) take turns on the
//!   checkpoint row lock and dedup against each other's committed digests.
//! - Needs SELECT on the polled table, INSERT on certyo_queue, and read/write on
//!   certyo_capture_poll and certyo_capture_poll_seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use crate::capture::poll::{self, PollSpec, PollSql};
use crate::capture::{self, registry, CaptureError};
use crate::error::{ConfigError, DbError};

use super::TaskError;

/// Settings of the poller.
#[derive(Debug, Clone)]
pub struct PollConfig {
    /// The trailing window (default 5 s): see `--capture-poll-lag`.
    pub lag: Duration,
    /// Rows per page (default 1000).
    pub batch: usize,
    /// Seen digests deleted per table per round at most (10,000).
    pub prune_limit: u64,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            lag: Duration::from_secs(5),
            batch: 1000,
            prune_limit: 10_000,
        }
    }
}

impl PollConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch == 0 || self.batch > 5000 {
            return Err(ConfigError::Invalid {
                name: "--capture-poll-batch",
                reason: format!("{} is outside 1..=5000", self.batch),
            });
        }
        if self.lag > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::Invalid {
                name: "--capture-poll-lag",
                reason: "at most 24h (every round re-reads that much of the table)".into(),
            });
        }
        Ok(())
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollReport {
    pub tables: u64,
    pub pages: u64,
    /// Row versions read from the windows (re-reads included).
    pub read: u64,
    /// Versions enqueued (new ones only).
    pub enqueued: u64,
    pub pruned: u64,
    /// Pages read again because a row changed between their read and their enqueue.
    pub retried: u64,
    pub elapsed: Duration,
}

/// How long a table's statements (built from information_schema) are reused before
/// the table is inspected again: an ALTER shows in polled payloads within this long
/// (at once if it breaks the statements: any error drops them).
const SHAPE_TTL: Duration = Duration::from_secs(30);

type SqlCache = Arc<Mutex<HashMap<(String, String), (Instant, Arc<PollSql>)>>>;

/// The poller job.
#[derive(Clone)]
pub struct Poller {
    pool: MySqlPool,
    schema: String,
    cfg: PollConfig,
    /// Per (table, poll column): its statements and when they were built.
    cache: SqlCache,
}

impl Poller {
    pub fn new(
        pool: MySqlPool,
        schema: impl Into<String>,
        cfg: PollConfig,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Poller {
            pool,
            schema: schema.into(),
            cfg,
            cache: SqlCache::default(),
        })
    }

    /// One round over every polled table. A table that fails (dropped, its poll column
    /// gone) is logged and the others are still polled; the first error is returned.
    pub async fn run_once(&self, stop: &CancellationToken) -> Result<PollReport, TaskError> {
        let started = Instant::now();
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the poller"))?;
        let tables: Vec<(String, PollSpec)> = registry::get_all_polled(&mut conn).await?;
        let mut report = PollReport::default();
        let mut first_error = None;
        for (table, spec) in tables {
            if stop.is_cancelled() {
                break;
            }
            report.tables += 1;
            if let Err(e) = self
                .poll_table(&mut conn, &table, &spec, stop, &mut report)
                .await
            {
                self.forget_sql(&table, &spec.poll_column);
                tracing::error!(event = "poll.failed", table = %table, error = %e, "poll.failed: polling this table failed; retried next round");
                first_error.get_or_insert(e);
            }
        }
        report.elapsed = started.elapsed();
        if report.enqueued > 0 {
            tracing::debug!(
                tables = report.tables,
                pages = report.pages,
                read = report.read,
                enqueued = report.enqueued,
                pruned = report.pruned,
                "poll.run: {} row versions enqueued",
                report.enqueued
            );
        }
        match first_error {
            Some(e) => Err(e.into()),
            None => Ok(report),
        }
    }

    async fn poll_table(
        &self,
        conn: &mut MySqlConnection,
        table: &str,
        spec: &PollSpec,
        stop: &CancellationToken,
        report: &mut PollReport,
    ) -> Result<(), CaptureError> {
        let sql = self.sql(conn, table, &spec.poll_column).await?;
        let sql = sql.as_ref();
        let (_, now) = poll::db_now(conn).await?;
        let clamp = sql.instant.then_some(now);
        let mut cursor = None;
        let mut low = None;
        // No page cap: a round re-reads the whole window before it reaches new rows, so
        // a cap smaller than the window would never get past it.
        while !stop.is_cancelled() {
            let mut tx = conn
                .begin()
                .await
                .map_err(CaptureError::db("starting a poll page"))?;
            let page = poll::poll_page(
                &mut tx,
                sql,
                self.cfg.lag,
                cursor.as_ref(),
                self.cfg.batch,
                clamp,
            )
            .await?;
            let page = match page {
                Some(Err(poll::Changed)) => {
                    // A row changed between the read and the enqueue: read it again.
                    tx.rollback()
                        .await
                        .map_err(CaptureError::db("rolling a poll page back"))?;
                    report.retried += 1;
                    continue;
                }
                Some(Ok(page)) => Some(page),
                None => None,
            };
            tx.commit()
                .await
                .map_err(CaptureError::db("committing a poll page"))?;
            let Some(page) = page else {
                // No checkpoint: the table is being switched to triggers right now
                // (migrate removed it under the table lock), or the registry was
                // edited by hand. Never start one here: a second source would enqueue
                // changes twice. `status` reports a polled table without one.
                tracing::warn!(event = "poll.no_checkpoint", table = %table, "poll.no_checkpoint: no checkpoint in certyo_capture_poll; not polled (run `certyo-queue migrate --table {table}` if it should be)");
                break;
            };
            report.pages += 1;
            report.read += page.read as u64;
            report.enqueued += page.enqueued;
            low = page.low;
            let caught_up = page.read < self.cfg.batch;
            let lag = match (caught_up, page.high) {
                (false, Some(high)) => (now - high).num_milliseconds().max(0) as f64 / 1000.0,
                _ => 0.0,
            };
            metrics::gauge!(crate::telemetry::CAPTURE_LAG, "table" => table.to_string(), "source" => "poll")
                .set(lag);
            if caught_up {
                break;
            }
            cursor = page.last;
        }
        if let Some(low) = low {
            report.pruned += poll::prune(conn, table, low, self.cfg.prune_limit).await?;
        }
        Ok(())
    }

    /// The table's statements: cached for [`SHAPE_TTL`], else built from its shape.
    async fn sql(
        &self,
        conn: &mut MySqlConnection,
        table: &str,
        column: &str,
    ) -> Result<Arc<PollSql>, CaptureError> {
        let key = (table.to_string(), column.to_string());
        if let Ok(cache) = self.cache.lock() {
            if let Some((built, sql)) = cache.get(&key) {
                if built.elapsed() < SHAPE_TTL {
                    return Ok(sql.clone());
                }
            }
        }
        let shape = capture::inspect_existing(conn, &self.schema, table).await?;
        let sql = Arc::new(PollSql::new(&shape, column)?);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(key, (Instant::now(), sql.clone()));
        }
        Ok(sql)
    }

    fn forget_sql(&self, table: &str, column: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&(table.to_string(), column.to_string()));
        }
    }
}

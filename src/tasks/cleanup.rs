//! Cleanup: deletes delivered queue rows older than the retention, and dead letters
//! older than their own (longer) retention, in chunks.
//!
//! Invariants:
//! - A pending or leased row (processed = 0, dead_at NULL) is never deleted: both
//!   selects and both deletes require `processed = 1` or `dead_at` set.
//! - Each chunk is found by a non-locking indexed read, then deleted by primary key
//!   with the conditions re-checked, in its own autocommitted statement: row locks are
//!   held for one short DELETE of at most `chunk_size` rows, never across the run.
//! - A short pause between chunks leaves room for the workers' claims and purge.

use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::error::{ConfigError, DbError};

/// Settings of the cleanup job.
#[derive(Debug, Clone)]
pub struct CleanupConfig {
    /// How long delivered rows are kept (default 24 h).
    pub retention: Duration,
    /// How long dead letters are kept (default 7 days).
    pub dead_retention: Duration,
    /// Rows deleted per statement (default 1000).
    pub chunk_size: usize,
    /// Pause between two chunks (default 50 ms).
    pub chunk_pause: Duration,
}

impl Default for CleanupConfig {
    fn default() -> Self {
        CleanupConfig {
            retention: Duration::from_secs(24 * 3600),
            dead_retention: Duration::from_secs(7 * 24 * 3600),
            chunk_size: 1000,
            chunk_pause: Duration::from_millis(50),
        }
    }
}

impl CleanupConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.chunk_size == 0 || self.chunk_size > 10_000 {
            return Err(ConfigError::Invalid {
                name: "cleanup chunk size",
                reason: format!("{} is outside 1..=10000", self.chunk_size),
            });
        }
        Ok(())
    }
}

/// What one cleanup pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    pub delivered_deleted: u64,
    pub dead_deleted: u64,
    pub chunks: u64,
    pub elapsed: Duration,
    /// The pass stopped early because shutdown was requested.
    pub interrupted: bool,
}

/// The cleanup job.
#[derive(Clone)]
pub struct Cleaner {
    pool: MySqlPool,
    cfg: CleanupConfig,
}

/// Which rows a chunk loop deletes.
#[derive(Clone, Copy)]
enum Kind {
    Delivered,
    Dead,
}

impl Kind {
    fn select_sql(self) -> &'static str {
        match self {
            Kind::Delivered => include_str!("../../sql/cleanup_select_delivered.sql"),
            Kind::Dead => include_str!("../../sql/cleanup_select_dead.sql"),
        }
    }
    fn delete_sql(self) -> &'static str {
        match self {
            Kind::Delivered => include_str!("../../sql/cleanup_delete_delivered.sql"),
            Kind::Dead => include_str!("../../sql/cleanup_delete_dead.sql"),
        }
    }
}

impl Cleaner {
    pub fn new(pool: MySqlPool, cfg: CleanupConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(Cleaner { pool, cfg })
    }

    /// One pass: delete every delivered row past retention and every dead letter past
    /// the dead-letter retention, chunk by chunk, stopping between chunks if `stop` fires.
    pub async fn run_once(&self, stop: &CancellationToken) -> Result<CleanupReport, DbError> {
        let started = Instant::now();
        let mut report = CleanupReport::default();
        let delivered = self
            .delete_all(Kind::Delivered, self.cfg.retention, stop, &mut report)
            .await?;
        report.delivered_deleted = delivered;
        if !report.interrupted {
            report.dead_deleted = self
                .delete_all(Kind::Dead, self.cfg.dead_retention, stop, &mut report)
                .await?;
        }
        report.elapsed = started.elapsed();
        tracing::info!(
            event = "cleanup.run",
            delivered = report.delivered_deleted,
            dead = report.dead_deleted,
            chunks = report.chunks,
            elapsed_ms = report.elapsed.as_millis() as u64,
            interrupted = report.interrupted,
            "cleanup.run: removed {} delivered and {} dead queue rows in {:?}",
            report.delivered_deleted,
            report.dead_deleted,
            report.elapsed
        );
        Ok(report)
    }

    async fn delete_all(
        &self,
        kind: Kind,
        retention: Duration,
        stop: &CancellationToken,
        report: &mut CleanupReport,
    ) -> Result<u64, DbError> {
        let retention_us = i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
        let limit = self.cfg.chunk_size as i64;
        let mut deleted = 0u64;
        loop {
            if stop.is_cancelled() {
                report.interrupted = true;
                return Ok(deleted);
            }
            let ids: Vec<i64> = sqlx::query_scalar(kind.select_sql())
                .bind(retention_us)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(DbError::query("selecting queue rows past retention"))?;
            if ids.is_empty() {
                return Ok(deleted);
            }
            let sql = kind
                .delete_sql()
                .replace("{ids}", &vec!["?"; ids.len()].join(","));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for id in &ids {
                q = q.bind(id);
            }
            let done = q
                .bind(retention_us)
                .execute(&self.pool)
                .await
                .map_err(DbError::query("deleting queue rows past retention"))?;
            deleted += done.rows_affected();
            report.chunks += 1;
            if ids.len() < self.cfg.chunk_size {
                return Ok(deleted);
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.cfg.chunk_pause) => {}
            }
        }
    }
}

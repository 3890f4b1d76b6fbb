//! Cleanup: deletes delivered queue rows older than the retention, and dead letters
//! older than their own (longer) retention, in chunks (the statements are
//! `crate::queue::cleanup`).
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
use crate::queue::cleanup::{delete_expired, expired_ids, Expired};

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
        let mut delivered = self
            .delete_all(Expired::Delivered, self.cfg.retention, stop, &mut report)
            .await?;
        if !report.interrupted {
            delivered += self
                .delete_all(
                    Expired::DeliveredBeforeV11,
                    self.cfg.retention,
                    stop,
                    &mut report,
                )
                .await?;
        }
        report.delivered_deleted = delivered;
        if !report.interrupted {
            report.dead_deleted = self
                .delete_all(Expired::Dead, self.cfg.dead_retention, stop, &mut report)
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
        kind: Expired,
        retention: Duration,
        stop: &CancellationToken,
        report: &mut CleanupReport,
    ) -> Result<u64, DbError> {
        let mut deleted = 0u64;
        loop {
            if stop.is_cancelled() {
                report.interrupted = true;
                return Ok(deleted);
            }
            let ids = expired_ids(&self.pool, kind, retention, self.cfg.chunk_size).await?;
            if ids.is_empty() {
                return Ok(deleted);
            }
            deleted += delete_expired(&self.pool, kind, &ids, retention).await?;
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

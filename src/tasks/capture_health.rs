//! Capture health as metrics: what `certyo-queue status` says about each captured
//! table's triggers, refreshed by every `work` process, so an alert (not a cron job
//! reading `status`) tells an operator that an ALTER left a table's triggers drifted or
//! that a trigger was dropped.
//!
//! Exports, per table `status` lists, `certyo_capture_triggers{table,state}`: 1 for the
//! table's state as `status` reports it (`current`, `drifted`, `missing` — including a
//! registered table left with none of its triggers, as a schema-change tool's table
//! swap leaves it —, `unrenderable`, `unverified` — there, but this user may not read
//! their bodies —, `not_captured`), 0 for the others, so a state that ended reads 0
//! rather than lingering; a table that left the list reads 0 in every state.
//!
//! Also `certyo_queue_dead_letters{table}`, the table's dead letters in the queue now
//! (made by any process).
//!
//! It also registers `certyo_queue_{delivered,retried,dead}_total{table}` at their
//! current value (0 in a fresh process) for every listed table: a counter that first
//! appears at 1 shows Prometheus no increase, so without this the first dead letter
//! after a restart would never fire an `increase(…) > 0` alert.
//!
//! Not under a leader lock: every process reports the same figures (alerts take the
//! `max` per table), and a process never keeps exporting a state it stopped checking.
//! The status queries are index reads, read-only and lock-free (see `ops::status`).

use std::collections::BTreeSet;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::error::ConfigError;
use crate::ops::status::{self, StatusError, TriggerHealth};
use crate::telemetry;

/// Every state a table can be reported in.
const STATES: [TriggerHealth; 6] = [
    TriggerHealth::Current,
    TriggerHealth::Drifted,
    TriggerHealth::Missing,
    TriggerHealth::Unrenderable,
    TriggerHealth::Unverified,
    TriggerHealth::NotCaptured,
];

#[derive(Debug, Clone)]
pub struct CaptureHealthConfig {
    /// Time between two checks (default 60 s); the first runs at start.
    pub interval: Duration,
}

impl Default for CaptureHealthConfig {
    fn default() -> Self {
        CaptureHealthConfig {
            interval: Duration::from_secs(60),
        }
    }
}

impl CaptureHealthConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.interval.is_zero() {
            return Err(ConfigError::Invalid {
                name: "--status-interval",
                reason: "must be above zero".into(),
            });
        }
        Ok(())
    }
}

/// What one check saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureHealthReport {
    /// (table, state) for every table `status` lists.
    pub tables: Vec<(String, &'static str)>,
    pub dead_letters: u64,
}

pub struct CaptureHealth {
    pool: MySqlPool,
    schema: String,
    cfg: CaptureHealthConfig,
    /// Tables exported by the previous check (to zero those that left the list).
    seen: BTreeSet<String>,
}

impl CaptureHealth {
    pub fn new(
        pool: MySqlPool,
        schema: String,
        cfg: CaptureHealthConfig,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(CaptureHealth {
            pool,
            schema,
            cfg,
            seen: BTreeSet::new(),
        })
    }

    /// Check at once, then every interval, until `stop`. A failed check is logged and
    /// leaves the previous figures in place until the next one.
    pub async fn run(mut self, stop: CancellationToken) {
        while !stop.is_cancelled() {
            if let Err(e) = self.run_once().await {
                tracing::warn!(event = "capture_health.error", error = %e, "capture health check failed; next try at the next interval");
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.cfg.interval) => {}
            }
        }
    }

    /// One check: read `status`, set the gauges.
    pub async fn run_once(&mut self) -> Result<CaptureHealthReport, StatusError> {
        let report = status::collect(&self.pool, &self.schema, &[]).await?;
        let mut now = BTreeSet::new();
        let mut tables = Vec::new();
        for t in &report.tables {
            set_state(&t.table, Some(t.triggers));
            for counter in [telemetry::DELIVERED, telemetry::RETRIED, telemetry::DEAD] {
                metrics::counter!(counter, "table" => t.table.clone()).increment(0);
            }
            metrics::gauge!(telemetry::DEAD_LETTERS, "table" => t.table.clone())
                .set(t.queue.dead as f64);
            now.insert(t.table.clone());
            tables.push((t.table.clone(), t.triggers.as_str()));
        }
        for gone in self.seen.difference(&now) {
            set_state(gone, None);
            metrics::gauge!(telemetry::DEAD_LETTERS, "table" => gone.clone()).set(0.0);
        }
        self.seen = now;
        Ok(CaptureHealthReport {
            tables,
            dead_letters: report.queue.dead,
        })
    }
}

fn set_state(table: &str, state: Option<TriggerHealth>) {
    for s in STATES {
        let value = if Some(s) == state { 1.0 } else { 0.0 };
        metrics::gauge!(telemetry::CAPTURE_TRIGGERS, "table" => table.to_string(), "state" => s.as_str())
            .set(value);
    }
}

//! Capture health as metrics: what `certyo-queue status` says about each captured
//! table's triggers, refreshed by every `work` process, so an alert (not a cron job
//! reading `status`) tells an operator that an ALTER left a table's triggers drifted or
//! that a trigger was dropped.
//!
//! Exports, per table `status` lists, `certyo_capture_triggers{table,state}`: 1 for the
//! table's current state (`current`, `drifted`, `missing`, `unrenderable`,
//! `not_captured`, `unknown`), 0 for the others, so a state that ended reads 0 rather
//! than lingering; a table that left the list reads 0 in every state. Two differences
//! from `status`:
//! - a table the capture registry lists as captured by triggers but that has none of
//!   ours left (a schema-change tool swapped the table) is `missing`, not
//!   `not_captured`;
//! - without the TRIGGER privilege (globally or on the schema) MySQL hides the
//!   triggers and MariaDB their bodies, so every captured table is `unknown` rather
//!   than `not_captured` or `drifted` (no false alarm, and none that cannot be true).
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

use crate::capture;
use crate::error::{ConfigError, DbError};
use crate::ops::status::{self, StatusError, TriggerHealth};
use crate::telemetry;

/// Every state a table can be reported in.
pub const STATES: [&str; 6] = [
    "current",
    "drifted",
    "missing",
    "unrenderable",
    "not_captured",
    UNKNOWN,
];
/// The state of a captured table whose triggers this user may not see.
pub const UNKNOWN: &str = "unknown";

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
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for capture health"))?;
        let grants: i64 = sqlx::query_scalar(include_str!(
            "../../sql/capture_health_trigger_privilege.sql"
        ))
        .bind(&self.schema)
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("checking the TRIGGER privilege"))?;
        let registered: BTreeSet<String> = capture::registry::list(&mut conn)
            .await?
            .into_iter()
            .filter(|r| r.source == Some(capture::registry::Source::Trigger))
            .map(|r| r.table)
            .collect();
        drop(conn);
        let mut now = BTreeSet::new();
        let mut tables = Vec::new();
        for t in &report.tables {
            let state = health(t.triggers, registered.contains(&t.table), grants > 0);
            set_state(&t.table, Some(state));
            for counter in [telemetry::DELIVERED, telemetry::RETRIED, telemetry::DEAD] {
                metrics::counter!(counter, "table" => t.table.clone()).increment(0);
            }
            metrics::gauge!(telemetry::DEAD_LETTERS, "table" => t.table.clone())
                .set(t.queue.dead as f64);
            now.insert(t.table.clone());
            tables.push((t.table.clone(), state));
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

/// The exported state of a table `status` reports as `seen`.
fn health(seen: TriggerHealth, registered: bool, triggers_visible: bool) -> &'static str {
    match seen {
        _ if !triggers_visible && (registered || seen != TriggerHealth::NotCaptured) => UNKNOWN,
        TriggerHealth::NotCaptured if registered => TriggerHealth::Missing.as_str(),
        other => other.as_str(),
    }
}

fn set_state(table: &str, state: Option<&'static str>) {
    for s in STATES {
        let value = if Some(s) == state { 1.0 } else { 0.0 };
        metrics::gauge!(telemetry::CAPTURE_TRIGGERS, "table" => table.to_string(), "state" => s)
            .set(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_table_without_triggers_is_missing_and_invisible_triggers_unknown() {
        use TriggerHealth::*;
        assert_eq!(health(NotCaptured, true, true), "missing");
        assert_eq!(health(NotCaptured, false, true), "not_captured");
        assert_eq!(health(Drifted, true, true), "drifted");
        assert_eq!(health(Current, true, true), "current");
        assert_eq!(health(NotCaptured, true, false), "unknown");
        assert_eq!(health(Drifted, true, false), "unknown");
        assert_eq!(health(NotCaptured, false, false), "not_captured");
        for s in [Current, Drifted, Missing, Unrenderable, NotCaptured] {
            assert!(STATES.contains(&s.as_str()));
        }
    }
}

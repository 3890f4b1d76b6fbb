//! The [`Scheduler`] `work` spawns: every job on its interval, each under its leader
//! lock (cleanup, verification, the poller, the binlog reader), capture health in every
//! process; and the counters of every job ([`SchedulerStats`]).

use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use super::lead::{lead, JobStats};
use super::{
    binlog, BinlogReader, CaptureHealth, Cleaner, Poller, ScheduleConfig, TaskError, Verifier,
};
use crate::certyo::CertyoClient;
use crate::error::ConfigError;
use crate::leader::Leader;

/// Counters of both jobs in this process.
#[derive(Debug, Default)]
pub struct SchedulerStats {
    pub cleanup: JobStats,
    pub verify: JobStats,
    pub poll: JobStats,
    pub binlog: JobStats,
}

/// Runs cleanup and verification on their intervals, each only while this process
/// holds the job's leader lock. Verification needs a Certyo client; without one only
/// cleanup runs.
pub struct Scheduler {
    pool: MySqlPool,
    client: Option<CertyoClient>,
    schema: String,
    cfg: ScheduleConfig,
    stats: Arc<SchedulerStats>,
    /// Where the binlog reader connects for replication (None: no binlog reader here).
    replication: Option<(crate::config::DbConfig, binlog::BinlogConfig)>,
}

impl Scheduler {
    pub fn new(
        pool: MySqlPool,
        client: Option<CertyoClient>,
        cfg: ScheduleConfig,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let schema = pool
            .connect_options()
            .get_database()
            .map(str::to_string)
            .ok_or(ConfigError::Missing("the database name in --database-url"))?;
        Ok(Scheduler {
            pool,
            client,
            schema,
            cfg,
            stats: Arc::default(),
            replication: None,
        })
    }

    /// Also run the binlog reader (a leader job) for tables captured with
    /// `--capture binlog`, connecting for replication with `db`.
    pub fn with_binlog(mut self, db: crate::config::DbConfig, cfg: binlog::BinlogConfig) -> Self {
        self.replication = Some((db, cfg));
        self
    }

    /// This process's counters; valid after `run` has consumed the scheduler.
    pub fn stats(&self) -> Arc<SchedulerStats> {
        self.stats.clone()
    }

    /// Run both jobs until `stop` is cancelled, then give the leader locks up.
    pub async fn run(self, stop: CancellationToken) {
        let check = self.cfg.leader_check;
        let cleaner = match Cleaner::new(self.pool.clone(), self.cfg.cleanup.clone()) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(event = "scheduler.cleanup_not_started", error = %e, "scheduler: cleanup not started");
                return;
            }
        };
        let cleanup = {
            let leader = Leader::new(&self.pool, &self.schema, "cleanup", check);
            let stop = stop.clone();
            let stats = &self.stats.cleanup;
            lead(
                "cleanup",
                leader,
                self.cfg.cleanup_interval,
                check,
                stats,
                stop.clone(),
                move || {
                    let (cleaner, stop) = (cleaner.clone(), stop.clone());
                    async move {
                        cleaner
                            .run_once(&stop)
                            .await
                            .map(|_| ())
                            .map_err(TaskError::from)
                    }
                },
            )
        };
        let verifier = match &self.client {
            Some(client) => match Verifier::new(
                self.pool.clone(),
                client.clone(),
                self.schema.clone(),
                self.cfg.verify.clone(),
            ) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::error!(event = "scheduler.verify_not_started", error = %e, "scheduler: verification not started");
                    None
                }
            },
            None => {
                tracing::info!(
                    event = "scheduler.verify_off",
                    "scheduler: no Certyo client, verification does not run here"
                );
                None
            }
        };
        let verification = async {
            let Some(verifier) = verifier else { return };
            let leader = Leader::new(&self.pool, &self.schema, "verify", check);
            let stop2 = stop.clone();
            lead(
                "verify",
                leader,
                self.cfg.verify_interval,
                check,
                &self.stats.verify,
                stop.clone(),
                move || {
                    let (verifier, stop) = (verifier.clone(), stop2.clone());
                    async move { verifier.run_once(&stop).await.map(|_| ()) }
                },
            )
            .await
        };
        let capture_health = async {
            match CaptureHealth::new(
                self.pool.clone(),
                self.schema.clone(),
                self.cfg.capture_health.clone(),
            ) {
                Ok(check) => check.run(stop.clone()).await,
                Err(e) => {
                    tracing::error!(event = "scheduler.capture_health_not_started", error = %e, "scheduler: capture health not started")
                }
            }
        };
        let polling = async {
            let poller = match Poller::new(
                self.pool.clone(),
                self.schema.clone(),
                self.cfg.poll.clone(),
            ) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(event = "scheduler.poll_not_started", error = %e, "scheduler: the poller not started");
                    return;
                }
            };
            let leader = Leader::new(&self.pool, &self.schema, "poll", check);
            let stop2 = stop.clone();
            lead(
                "poll",
                leader,
                self.cfg.poll_interval,
                check,
                &self.stats.poll,
                stop.clone(),
                move || {
                    let (poller, stop) = (poller.clone(), stop2.clone());
                    async move { poller.run_once(&stop).await.map(|_| ()) }
                },
            )
            .await
        };
        let binlog = async {
            let Some((db, bcfg)) = self.replication.clone() else {
                return;
            };
            let reader = match BinlogReader::new(self.pool.clone(), db, bcfg) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "scheduler: the binlog reader not started");
                    return;
                }
            };
            let leader = Leader::new(&self.pool, &self.schema, "binlog", check);
            let stop2 = stop.clone();
            // Each run streams for a while and returns; the next starts at once (the
            // stream stays open between runs while this process leads).
            lead(
                "binlog",
                leader,
                Duration::from_millis(1),
                check,
                &self.stats.binlog,
                stop.clone(),
                move || {
                    let (reader, stop) = (reader.clone(), stop2.clone());
                    async move { reader.run_once(&stop).await.map(|_| ()) }
                },
            )
            .await
        };
        tokio::join!(cleanup, verification, capture_health, polling, binlog);
    }
}

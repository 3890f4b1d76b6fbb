//! Scheduled jobs: cleanup (delivered and dead queue rows past retention),
//! verification (Pending rows → Anchored / Failed) and the poller (tables captured by
//! polling, `poll`), each run by one process at a time.
//!
//! - `cleanup`, `verify`: the jobs, River-shaped: a config with defaults and
//!   validation, and `run_once()` that does one pass and returns counts.
//! - [`Scheduler`]: what `work` spawns; runs each job every interval, but only while
//!   this process holds the job's leader lock (see `crate::leader`). A process that
//!   becomes leader runs the job at once, then every interval.
//! - `run_cleanup_cli` / `run_verify_cli`: one pass by hand, under the same lock.
//! - `capture_health`: `status`'s view of the captured tables as metrics; the
//!   [`Scheduler`] runs it in every process (no lock), beside the two jobs.
//!
//! While it runs, the scheduler exports `certyo_leader{task}` (1 leading, 0 following;
//! not `job`, which Prometheus reserves for the scrape job).

pub mod binlog;
pub mod capture_health;
pub mod cleanup;
pub mod poll;
pub mod verify;

use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use thiserror::Error;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::certyo::{ApiError, CertyoClient};
use crate::cli::{CleanupArgs, ScheduleArgs, VerifyArgs};
use crate::config::{ApiConfig, DbConfig};
use crate::error::{ConfigError, DbError};
use crate::leader::Leader;

pub use binlog::{BinlogConfig, BinlogError, BinlogReader};
pub use capture_health::{CaptureHealth, CaptureHealthConfig, CaptureHealthReport};
pub use cleanup::{Cleaner, CleanupConfig, CleanupReport};
pub use poll::{PollConfig, PollReport, Poller};
pub use verify::{Verifier, VerifyConfig, VerifyReport, VerifyTable};

/// Why a scheduled pass stopped.
#[derive(Debug, Error)]
pub enum TaskError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("Certyo: {0}")]
    Api(#[from] ApiError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Capture(#[from] crate::capture::CaptureError),
    #[error(transparent)]
    Binlog(#[from] binlog::BinlogError),
}

/// Settings of both scheduled jobs.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Time between two cleanup passes (default 1 h).
    pub cleanup_interval: Duration,
    /// Time between two verification rounds (default 2 min).
    pub verify_interval: Duration,
    /// How often a follower tries to take a leader lock and a leader confirms it
    /// (default 10 s): a dead leader is replaced within about this long.
    pub leader_check: Duration,
    pub cleanup: CleanupConfig,
    pub verify: VerifyConfig,
    pub capture_health: CaptureHealthConfig,
    /// Time between two poll rounds of the tables captured by polling (default 1 s).
    pub poll_interval: Duration,
    pub poll: PollConfig,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            cleanup_interval: Duration::from_secs(3600),
            verify_interval: Duration::from_secs(120),
            leader_check: Duration::from_secs(10),
            cleanup: CleanupConfig::default(),
            verify: VerifyConfig::default(),
            capture_health: CaptureHealthConfig::default(),
            poll_interval: Duration::from_secs(1),
            poll: PollConfig::default(),
        }
    }
}

impl ScheduleConfig {
    pub fn from_args(args: &ScheduleArgs) -> Result<Self, ConfigError> {
        let cfg = ScheduleConfig {
            cleanup_interval: args.cleanup_interval,
            verify_interval: args.verify_interval,
            leader_check: args.leader_check_interval,
            cleanup: CleanupConfig {
                retention: args.retention,
                dead_retention: args.dead_retention,
                ..CleanupConfig::default()
            },
            verify: VerifyConfig {
                verify_after: args.verify_after,
                anchor_timeout: args.anchor_timeout,
                batch: args.verify_batch,
                concurrency: args.verify_concurrency,
                ..VerifyConfig::default()
            },
            capture_health: CaptureHealthConfig {
                interval: args.status_interval,
            },
            poll_interval: args.capture_poll_interval,
            poll: PollConfig {
                lag: args.capture_poll_lag,
                batch: args.capture_poll_batch,
                ..PollConfig::default()
            },
        };
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for (name, d) in [
            ("--cleanup-interval", self.cleanup_interval),
            ("--verify-interval", self.verify_interval),
            ("--leader-check-interval", self.leader_check),
            ("--capture-poll-interval", self.poll_interval),
        ] {
            if d.is_zero() {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be above zero".into(),
                });
            }
        }
        if self.leader_check > Duration::from_secs(60) {
            return Err(ConfigError::Invalid {
                name: "--leader-check-interval",
                reason: "at most 60s, or a dead leader is replaced too late".into(),
            });
        }
        self.cleanup.validate()?;
        self.capture_health.validate()?;
        self.poll.validate()?;
        self.verify.validate()
    }
}

/// Counters of one job in this process, for tests and status output.
#[derive(Debug, Default)]
pub struct JobStats {
    runs: AtomicU64,
    errors: AtomicU64,
    leading: AtomicBool,
}

impl JobStats {
    /// Passes this process has run (successful or not).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }
    /// Passes that ended with an error.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::SeqCst)
    }
    /// Whether this process holds the job's leader lock.
    pub fn is_leader(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }
}

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

/// The loop of one job: every `check`, hold or try to take the lock; while leading, run
/// the job when due (at once on becoming leader, then every `interval`).
async fn lead<F, Fut>(
    job: &'static str,
    mut leader: Leader,
    interval: Duration,
    check: Duration,
    stats: &JobStats,
    stop: CancellationToken,
    mut run_once: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), TaskError>>,
{
    let mut next_run: Option<Instant> = None;
    while !stop.is_cancelled() {
        let was_leading = leader.is_leader();
        let leading = match leader.ensure().await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(event = "leader.error", lock = %leader.name(), error = %e, "leader.error: lock connection lost; retrying");
                false
            }
        };
        stats.leading.store(leading, Ordering::SeqCst);
        metrics::gauge!(crate::telemetry::LEADER, "task" => job).set(if leading {
            1.0
        } else {
            0.0
        });
        if leading != was_leading {
            if leading {
                tracing::info!(event = "leader.elected", lock = %leader.name(), "leader.elected: this process now runs the job");
            } else {
                tracing::info!(event = "leader.follower", lock = %leader.name(), "leader.follower: another process runs the job");
            }
        }
        if !leading {
            next_run = None;
        } else if next_run.is_none_or(|t| Instant::now() >= t) {
            let result = run_once().await;
            stats.runs.fetch_add(1, Ordering::SeqCst);
            if let Err(e) = result {
                stats.errors.fetch_add(1, Ordering::SeqCst);
                tracing::error!(event = "scheduler.job_failed", lock = %leader.name(), error = %e, "scheduled job failed; next try at the next interval");
            }
            next_run = Some(Instant::now() + interval);
        }
        let wait = match next_run {
            Some(t) => check.min(t.saturating_duration_since(Instant::now())),
            None => check,
        };
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
    leader.release().await;
    stats.leading.store(false, Ordering::SeqCst);
    metrics::gauge!(crate::telemetry::LEADER, "task" => job).set(0.0);
}

/// `certyo-queue cleanup`: one pass, under the cleanup leader lock.
pub async fn run_cleanup_cli(args: &CleanupArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let cfg = ScheduleConfig::from_args(&args.schedule)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 2).await?;
    let mut leader = Leader::new(&pool, &schema, "cleanup", cfg.leader_check);
    if !leader.ensure().await? {
        println!(
            "cleanup: another process holds the lock {} and runs cleanup; nothing done",
            leader.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let cleaner = Cleaner::new(pool.clone(), cfg.cleanup)?;
    let result = cleaner.run_once(&CancellationToken::new()).await;
    leader.release().await;
    let r = result?;
    println!(
        "cleanup: removed {} delivered and {} dead queue rows in {} chunks, {} ms",
        r.delivered_deleted,
        r.dead_deleted,
        r.chunks,
        r.elapsed.as_millis()
    );
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `certyo-queue verify`: rounds until no row is due (or `--max-rows`), under the
/// verification leader lock.
pub async fn run_verify_cli(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let cfg = ScheduleConfig::from_args(&args.schedule)?;
    let schema = db.schema().unwrap_or_default();
    let api = ApiConfig::from_args(&args.api, &schema)?;
    let client = CertyoClient::new(api, args.api.api_key_file.clone())?;
    let pool = crate::db::connect(&db, 4).await?;
    let mut leader = Leader::new(&pool, &schema, "verify", cfg.leader_check);
    if !leader.ensure().await? {
        println!(
            "verify: another process holds the lock {} and runs verification; nothing done",
            leader.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let verifier = Verifier::new(pool.clone(), client, schema, cfg.verify)?;
    // Rounds until nothing is due: rows answered "not yet" are pushed back, Anchored and
    // Failed ones leave Pending, so a round that checks nothing is the end. A round
    // with API errors ends the run too (its rows would only be asked again at once).
    let mut total = VerifyReport::default();
    let mut rounds = 0u64;
    let result = loop {
        let round = match verifier.run_once(&CancellationToken::new()).await {
            Ok(r) => r,
            Err(e) => break Err(e),
        };
        rounds += 1;
        total.tables = total.tables.max(round.tables);
        total.checked += round.checked;
        total.anchored += round.anchored;
        total.not_yet += round.not_yet;
        total.failed += round.failed;
        total.retry_later += round.retry_later;
        total.superseded += round.superseded;
        total.elapsed += round.elapsed;
        if round.checked > 0 {
            eprintln!(
                "verify: round {rounds}: {} checked ({} anchored, {} not yet, {} failed); {} so far",
                round.checked, round.anchored, round.not_yet, round.failed, total.checked
            );
        }
        let capped = args.max_rows.is_some_and(|m| total.checked >= m);
        if round.checked == 0 || round.retry_later > 0 || capped {
            break Ok(());
        }
    };
    leader.release().await;
    result?;
    let r = total;
    println!(
        "verify: {} rows checked in {} tables over {rounds} round(s): {} anchored, {} not yet, {} failed, {} left for a retry, {} changed meanwhile ({} ms)",
        r.checked,
        r.tables,
        r.anchored,
        r.not_yet,
        r.failed,
        r.retry_later,
        r.superseded,
        r.elapsed.as_millis()
    );
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

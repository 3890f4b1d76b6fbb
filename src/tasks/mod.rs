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

//!
//! Layout of the scheduling itself: `schedule_config` the settings of every job,
//! `scheduler` the [`Scheduler`] and its counters, `lead` the loop of one leader job
//! (and that job's [`JobStats`]), `commands` the `cleanup` and `verify` commands.

pub mod binlog;
pub mod capture_health;
pub mod cleanup;
mod commands;
mod lead;
pub mod poll;
mod schedule_config;
mod scheduler;
pub mod verify;

use thiserror::Error;

use crate::certyo::ApiError;
use crate::error::{ConfigError, DbError};

pub use binlog::{BinlogConfig, BinlogError, BinlogReader};
pub use capture_health::{CaptureHealth, CaptureHealthConfig, CaptureHealthReport};
pub use cleanup::{Cleaner, CleanupConfig, CleanupReport};
pub use commands::{run_cleanup_cli, run_verify_cli};
pub use lead::JobStats;
pub use poll::{PollConfig, PollReport, Poller};
pub use schedule_config::ScheduleConfig;
pub use scheduler::{Scheduler, SchedulerStats};
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

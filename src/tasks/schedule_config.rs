//! The settings of every scheduled job ([`ScheduleConfig`]): intervals, the leader
//! check, and each job's own config, from the command line, validated once.

use std::time::Duration;

use super::{CaptureHealthConfig, CleanupConfig, PollConfig, VerifyConfig};
use crate::cli::ScheduleArgs;
use crate::error::ConfigError;

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

//! The verification job's settings ([`VerifyConfig`], validated) and what one round
//! did ([`VerifyReport`]).

use std::time::Duration;

use crate::error::ConfigError;

/// Settings of the verification job.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// How long after ingestion a row is first checked (default 2 min).
    pub verify_after: Duration,
    /// Not anchored this long after ingestion → 'Failed' (default 24 h).
    pub anchor_timeout: Duration,
    /// Rows checked per table per round (default 500).
    pub batch: usize,
    /// Concurrent verify requests (default 8).
    pub concurrency: usize,
    /// Longest delay before a not-yet-anchored row is checked again (default 1 h).
    pub backoff_max: Duration,
    /// Pause after a 429 that carried no Retry-After (default 1 s).
    pub rate_limit_pause: Duration,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig {
            verify_after: Duration::from_secs(120),
            anchor_timeout: Duration::from_secs(24 * 3600),
            batch: 500,
            concurrency: 8,
            backoff_max: Duration::from_secs(3600),
            rate_limit_pause: Duration::from_secs(1),
        }
    }
}

impl VerifyConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch == 0 || self.batch > 10_000 {
            return Err(ConfigError::Invalid {
                name: "--verify-batch",
                reason: format!("{} is outside 1..=10000", self.batch),
            });
        }
        if self.concurrency == 0 || self.concurrency > 256 {
            return Err(ConfigError::Invalid {
                name: "--verify-concurrency",
                reason: format!("{} is outside 1..=256", self.concurrency),
            });
        }
        if self.anchor_timeout <= self.verify_after {
            return Err(ConfigError::Invalid {
                name: "--anchor-timeout",
                reason: "must be longer than --verify-after".into(),
            });
        }
        Ok(())
    }
}

/// What one verification round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub tables: u64,
    /// Rows asked about.
    pub checked: u64,
    pub anchored: u64,
    /// Still Pending, to be asked again later.
    pub not_yet: u64,
    pub failed: u64,
    /// Left untouched after a retryable API error.
    pub retry_later: u64,
    /// Answers not written because the row changed meanwhile.
    pub superseded: u64,
    pub elapsed: Duration,
}

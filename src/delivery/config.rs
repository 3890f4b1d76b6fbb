//! The delivery pool's settings (`--concurrency`, `--batch-size`, leases, retries),
//! validated once, and the retry backoff they define.

use std::time::Duration;

use crate::certyo::BULK_MAX;
use crate::cli::DeliveryArgs;
use crate::error::ConfigError;

/// Delivery settings, validated.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub concurrency: usize,
    pub batch_size: usize,
    pub bulk_threshold: usize,
    pub poll_interval: Duration,
    pub lease: Duration,
    pub max_attempts: u32,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub auth_retry: Duration,
    pub progress_interval: Duration,
    pub shutdown_timeout: Duration,
    /// `/readyz` is 503 when nothing was delivered for this long while rows wait.
    pub stall_after: Duration,
}

impl WorkerConfig {
    pub fn from_args(a: &DeliveryArgs, shutdown_timeout: Duration) -> Result<Self, ConfigError> {
        let cfg = WorkerConfig {
            concurrency: a.concurrency,
            batch_size: a.batch_size,
            bulk_threshold: a.bulk_threshold,
            poll_interval: a.poll_interval,
            lease: a.lease,
            max_attempts: a.max_attempts,
            retry_initial: a.retry_initial,
            retry_max: a.retry_max,
            auth_retry: a.auth_retry,
            progress_interval: a.progress_interval,
            shutdown_timeout,
            stall_after: a.stall_after,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |name, reason: &str| {
            Err(ConfigError::Invalid {
                name,
                reason: reason.into(),
            })
        };
        if self.concurrency == 0 || self.concurrency > 256 {
            return bad("--concurrency", "must be between 1 and 256");
        }
        if self.batch_size == 0 || self.batch_size > 10_000 {
            return bad("--batch-size", "must be between 1 and 10000");
        }
        if self.poll_interval.is_zero() {
            return bad("--poll-interval", "must be above zero");
        }
        if self.lease < Duration::from_secs(1) {
            return bad("--lease", "must be at least 1s");
        }
        if self.max_attempts == 0 {
            return bad("--max-attempts", "must be at least 1");
        }
        if self.retry_initial.is_zero() || self.retry_max < self.retry_initial {
            return bad(
                "--retry-initial/--retry-max",
                "need 0 < retry-initial <= retry-max",
            );
        }
        if self.auth_retry.is_zero() || self.progress_interval.is_zero() {
            return bad("--auth-retry/--progress-interval", "must be above zero");
        }
        if self.stall_after.is_zero() {
            return bad("--stall-after", "must be above zero");
        }
        Ok(())
    }

    /// Refuse settings under which one round cannot finish within its lease: a round
    /// makes `ceil(batch-size / 1000)` bulk calls one after another (or, for a batch up
    /// to `--bulk-threshold`, one wave of single calls), each up to `request_timeout`.
    /// Rounds that run long anyway (an isolation or confirmation of single calls) stop
    /// starting calls that could not end before the lease does, and hand the rest back.
    pub fn check_round_fits(&self, request_timeout: Duration) -> Result<(), ConfigError> {
        let calls = if self.batch_size <= self.bulk_threshold {
            1
        } else {
            self.batch_size.div_ceil(BULK_MAX) as u32
        };
        let round = request_timeout.saturating_mul(calls);
        if round >= self.lease {
            return Err(ConfigError::Invalid {
                name: "--lease",
                reason: format!(
                    "{:?} is too short: a round of --batch-size {} makes {calls} sequential call(s) of up to --request-timeout {:?}, {:?} in all, which must end before the lease does; raise --lease above {:?} or lower --batch-size/--request-timeout",
                    self.lease, self.batch_size, request_timeout, round, round
                ),
            });
        }
        Ok(())
    }

    /// Delay before the next attempt of a row that has had `attempts` attempts:
    /// `retry_initial × 2^(attempts-1)`, capped at `retry_max`, scaled by a random
    /// factor in [0.5, 1.0] so that rows failed together do not return together.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let base = self
            .retry_initial
            .saturating_mul(1u32 << exp)
            .min(self.retry_max);
        base.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> WorkerConfig {
        WorkerConfig {
            concurrency: 1,
            batch_size: 10,
            bulk_threshold: 10,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(60),
            max_attempts: 5,
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            auth_retry: Duration::from_secs(60),
            progress_interval: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(30),
            stall_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn a_round_that_cannot_fit_its_lease_is_refused_with_the_arithmetic() {
        let mut c = cfg();
        c.batch_size = 3000;
        c.lease = Duration::from_secs(4);
        let err = c
            .check_round_fits(Duration::from_secs(3))
            .unwrap_err()
            .to_string();
        assert!(err.contains("3 sequential call(s)"), "{err}");
        assert!(err.contains("9s"), "{err}");
        c.lease = Duration::from_secs(10);
        assert!(c.check_round_fits(Duration::from_secs(3)).is_ok());
        c.batch_size = 10; // one wave of single calls
        c.lease = Duration::from_secs(4);
        assert!(c.check_round_fits(Duration::from_secs(3)).is_ok());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let c = cfg();
        for _ in 0..100 {
            let d1 = c.backoff(1);
            assert!(
                d1 >= Duration::from_millis(500) && d1 <= Duration::from_secs(1),
                "{d1:?}"
            );
            let d3 = c.backoff(3);
            assert!(
                d3 >= Duration::from_secs(2) && d3 <= Duration::from_secs(4),
                "{d3:?}"
            );
            assert!(c.backoff(40) <= Duration::from_secs(60));
        }
    }

    #[test]
    fn zero_concurrency_is_refused() {
        let mut c = cfg();
        c.concurrency = 0;
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("--concurrency"));
    }
}

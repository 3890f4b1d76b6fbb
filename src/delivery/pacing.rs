//! Pacing the whole pool: a 429's Retry-After pauses every worker's claims; refused
//! credentials (401/403) or a misdirected base URL pause delivery until a probe (or
//! the next delivery) shows it works again.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{sleep_or_stop, Delivery};
use crate::certyo::ApiError;

impl Delivery {
    /// Pause claiming for `d` (a server's Retry-After, capped by `--retry-max`, or a
    /// misdirection's `--auth-retry`), unless already paused longer.
    pub(super) fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        if let Ok(mut p) = self.paused_until.lock() {
            if p.is_none_or(|current| current < until) {
                *p = Some(until);
            }
        }
    }

    /// Time left in a Retry-After pause, if any.
    pub(super) fn pause_left(&self) -> Option<Duration> {
        let until = self.paused_until.lock().ok().and_then(|p| *p)?;
        until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    /// The base URL leads elsewhere (a redirect, 404/405 on our paths): pause the pool
    /// for `--auth-retry`, flag `/readyz`, say so loudly (ERROR the first time, WARN
    /// after). The rows go back unspent; the next delivery clears the flag.
    pub(super) fn misdirected(&self, error: &str, rows: usize) {
        self.pause_for(self.cfg.auth_retry);
        if self.health.misdirected(error) {
            tracing::error!(
                event = "worker.misdirected", error = %error, rows, retry_every = ?self.cfg.auth_retry,
                "Certyo's base URL does not lead to the ingestion API: delivery paused, rows handed back, no attempts counted; fix CERTYO_BASE_URL"
            );
        } else {
            tracing::warn!(event = "worker.misdirected", error = %error, rows, "the base URL still does not lead to the ingestion API; delivery stays paused");
        }
    }

    /// Credentials refused: pause every worker, loudly the first time.
    pub(super) fn refused(&self, error: &str) {
        if self.auth.refuse() {
            tracing::error!(
                event = "worker.unauthorised", error = %error, retry_every = ?self.cfg.auth_retry,
                "Certyo refused our credentials: delivery paused, no attempts counted; fix CERTYO_API_KEY / CERTYO_TENANT_ID (a key file is re-read before each retry)"
            );
        } else {
            tracing::warn!(event = "worker.unauthorised", error = %error, "Certyo still refuses our credentials; delivery stays paused");
        }
    }

    /// Check the credentials once at start, then every `auth_retry` while refused
    /// (re-reading the key file first), and reopen the gate when a probe is accepted.
    pub(super) async fn auth_probe_loop(&self, stop: CancellationToken) {
        let mut first = true;
        loop {
            if !first {
                if sleep_or_stop(self.cfg.auth_retry, &stop).await {
                    return;
                }
                if !self.auth.is_failing() {
                    continue;
                }
                if self.client.reload_key() {
                    tracing::info!(
                        event = "worker.key_reloaded",
                        "API key file changed; trying the new key"
                    );
                }
            }
            first = false;
            match self.client.check_auth().await {
                Ok(()) => {
                    if self.auth.accept() {
                        tracing::info!(
                            event = "worker.auth_recovered",
                            "Certyo accepts the API key again; delivery resumed"
                        );
                    }
                }
                Err(e @ ApiError::Auth { .. }) => self.refused(&e.to_string()),
                Err(e @ ApiError::Misdirected { .. }) => self.misdirected(&e.to_string(), 0),
                Err(e) => {
                    tracing::debug!(event = "worker.auth_probe", error = %e, "credential probe inconclusive")
                }
            }
        }
    }
}

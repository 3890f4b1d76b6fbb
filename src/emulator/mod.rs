//! A local stand-in for the Certyo API (`../shared/certyo-api.md`), for tests, demos
//! and benchmarks: `certyo-queue emulator` on the command line, or [`start`] in-process.
//!
//! Layout: `state` holds what was received (versions, idempotency index, in-flight
//! counters, totals) and the canonical hash; `knobs` the runtime-adjustable behaviour
//! and faults; `routes` the HTTP surface and the order of its checks.
//!
//! Choices where the real API is undocumented (also in `--help` and the README):
//! - `recordHash` = lowercase hex SHA-256 of the canonical JSON of `recordPayload`
//!   ([`canonical_json`]: keys sorted at every level, no whitespace, serde_json's
//!   rendering of strings and numbers).
//! - Bulk answers follow [`BulkResponseMode`] (default: 202 with per-item results).
//!   The other modes are the other readings of the undocumented contract.
//! - A redirect knob answers every API call with a 3xx to another base URL.
//! - An idempotent replay answers 202 with the first answer's hash and `acceptedAt`,
//!   and `idempotencyReplayed: true`; nothing is stored again. Keys are scoped to the
//!   emulator's one tenant; a replay does not check that the content is the same.
//! - A record is anchored once its latest version is older than the anchor delay.
//! - Errors are `{"error": "...", "field": "..."}`; 413 past the body limits.
//!
//! Invariants: state is in memory only and never shrinks; nothing here panics on
//! input; the API key is never logged.

mod knobs;
mod routes;
mod state;

use std::fmt;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use thiserror::Error;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use self::routes::{SnapshotItem, SnapshotsResponse, INSPECT_PATH};
pub use self::state::{
    canonical_hash, canonical_json, InspectedRecord, InspectedVersion, Inspection, Totals,
};
pub use crate::cli::BulkResponseMode;
use crate::cli::EmulatorArgs;

/// The key [`EmulatorConfig::default`] accepts.
pub const DEFAULT_API_KEY: &str = "certyo_sk_test_emulator";
/// The tenant [`EmulatorConfig::default`] serves.
pub const DEFAULT_TENANT_ID: &str = "tenant-emulator";
/// How long an idempotency key is remembered (the API documents 24 h).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Everything the emulator starts with. Most of it can be changed later through
/// [`EmulatorHandle`].
#[derive(Clone)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    pub api_key: String,
    pub tenant_id: String,
    pub anchor_delay: Duration,
    /// Fraction of API calls answered 500 (0.0..=1.0).
    pub fail_rate: f64,
    /// Requests per second before 429; `None` = unlimited.
    pub rate_limit: Option<u32>,
    pub latency: Duration,
    pub bulk_response: BulkResponseMode,
    /// Body limit of single-record and verify calls, in bytes.
    pub max_body: usize,
    /// Body limit of bulk calls, in bytes.
    pub max_bulk_body: usize,
    pub idempotency_window: Duration,
    /// `Some((status, base))`: every API call answered with that redirect.
    pub redirect: Option<(u16, String)>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: DEFAULT_API_KEY.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            anchor_delay: Duration::from_secs(60),
            fail_rate: 0.0,
            rate_limit: None,
            latency: Duration::ZERO,
            bulk_response: BulkResponseMode::Items,
            max_body: 1 << 20,
            max_bulk_body: 16 << 20,
            idempotency_window: IDEMPOTENCY_WINDOW,
            redirect: None,
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("api_key", &"***")
            .field("tenant_id", &self.tenant_id)
            .field("anchor_delay", &self.anchor_delay)
            .field("fail_rate", &self.fail_rate)
            .field("rate_limit", &self.rate_limit)
            .field("latency", &self.latency)
            .field("bulk_response", &self.bulk_response)
            .field("max_body", &self.max_body)
            .field("max_bulk_body", &self.max_bulk_body)
            .field("idempotency_window", &self.idempotency_window)
            .field("redirect", &self.redirect)
            .finish()
    }
}

impl EmulatorConfig {
    pub fn from_args(args: &EmulatorArgs) -> EmulatorConfig {
        EmulatorConfig {
            listen: args.listen,
            api_key: args.api_key.clone(),
            tenant_id: args.tenant_id.clone(),
            anchor_delay: args.anchor_delay,
            fail_rate: args.fail_rate,
            rate_limit: args.rate_limit,
            latency: args.latency,
            bulk_response: args.bulk_response,
            max_body: args.max_body,
            max_bulk_body: args.max_bulk_body,
            redirect: args
                .redirect_to
                .clone()
                .map(|to| (args.redirect_status, to)),
            ..EmulatorConfig::default()
        }
    }

    fn validate(&self) -> Result<(), EmulatorError> {
        let invalid = |name, reason: &str| {
            Err(EmulatorError::Invalid {
                name,
                reason: reason.into(),
            })
        };
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return invalid("fail rate", "must be between 0.0 and 1.0");
        }
        if self.api_key.trim().is_empty() {
            return invalid("API key", "must not be empty");
        }
        if self.tenant_id.trim().is_empty() {
            return invalid("tenant id", "must not be empty");
        }
        if self.max_body == 0 || self.max_bulk_body == 0 {
            return invalid("body limit", "must be at least 1 byte");
        }
        if let Some((status, _)) = &self.redirect {
            if !matches!(status, 301 | 302 | 303 | 307 | 308) {
                return invalid("redirect status", "must be 301, 302, 303, 307 or 308");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Error)]
pub enum EmulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid emulator setting, {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// A running emulator. Dropping it stops the server without waiting; call
/// [`EmulatorHandle::stop`] to wait for it.
pub struct EmulatorHandle {
    addr: SocketAddr,
    app: Arc<routes::App>,
    cancel: CancellationToken,
    server: Option<JoinHandle<()>>,
}

/// Start the emulator on `cfg.listen` (port 0 picks a free port).
pub async fn start(cfg: EmulatorConfig) -> Result<EmulatorHandle, EmulatorError> {
    cfg.validate()?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| EmulatorError::Bind {
            addr: cfg.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: cfg.listen,
            source,
        })?;
    let app = Arc::new(routes::App {
        store: state::Store::new(cfg.idempotency_window),
        knobs: knobs::Knobs::new(
            &cfg.api_key,
            cfg.fail_rate,
            cfg.rate_limit,
            cfg.latency,
            cfg.anchor_delay,
            cfg.bulk_response,
        ),
        tenant_id: cfg.tenant_id.clone(),
        tasks: TaskTracker::new(),
        max_body: cfg.max_body,
        max_bulk_body: cfg.max_bulk_body,
    });
    app.knobs
        .set_redirect(cfg.redirect.as_ref().map(|(s, to)| (*s, to.as_str())));
    let router = routes::router(app.clone());
    let cancel = CancellationToken::new();
    let listener = listener.tap_io(|tcp| {
        // Small answers should not wait for Nagle; failure only costs latency.
        let _ = tcp.set_nodelay(true);
    });
    let shutdown = cancel.clone().cancelled_owned();
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(event = "emulator.server", error = %e, "emulator server stopped with an error");
        }
    });
    Ok(EmulatorHandle {
        addr,
        app,
        cancel,
        server: Some(server),
    })
}

impl EmulatorHandle {
    /// Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything received so far.
    pub fn inspect(&self) -> Inspection {
        self.app.store.inspect(None, None)
    }

    /// Counters only (cheap, unlike [`EmulatorHandle::inspect`]).
    pub fn totals(&self) -> Totals {
        self.app.store.totals()
    }

    /// Fraction of API calls answered 500, clamped to 0.0..=1.0.
    pub fn set_fail_rate(&self, rate: f64) {
        self.app.knobs.set_fail_rate(rate);
    }

    /// While on, every API call is answered 503 at once.
    pub fn set_outage(&self, on: bool) {
        self.app.knobs.set_outage(on);
    }

    /// Requests per second before 429; `None` = unlimited.
    pub fn set_rate_limit(&self, per_second: Option<u32>) {
        self.app.knobs.set_rate_limit(per_second);
    }

    pub fn set_api_key(&self, key: impl Into<String>) {
        self.app.knobs.set_api_key(&key.into());
    }

    pub fn set_latency(&self, latency: Duration) {
        self.app.knobs.set_latency(latency);
    }

    /// Applies at once to every record, including those already accepted.
    pub fn set_anchor_delay(&self, delay: Duration) {
        self.app.knobs.set_anchor_delay(delay);
    }

    pub fn set_bulk_response(&self, mode: BulkResponseMode) {
        self.app.knobs.set_bulk_mode(mode);
    }

    /// `Some((status, base))`: answer every API call with a redirect (`status`, one
    /// of 301/302/303/307/308) to `base` + the request's path; `None` turns it off.
    pub fn set_redirect(&self, to: Option<(u16, &str)>) {
        self.app.knobs.set_redirect(to);
    }

    /// Stop accepting, let requests in progress finish, and wait for the server.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.app.tasks.close();
        self.app.tasks.wait().await;
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// `certyo-queue emulator`: serve until `stop` is cancelled, then print a summary.
pub async fn run_cli(args: &EmulatorArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let cfg = EmulatorConfig::from_args(args);
    let handle = start(cfg.clone()).await.context("starting the emulator")?;
    tracing::info!(event = "emulator.listen",
        url = %handle.url(),
        tenant_id = %cfg.tenant_id,
        anchor_delay = ?cfg.anchor_delay,
        fail_rate = cfg.fail_rate,
        rate_limit = ?cfg.rate_limit,
        latency = ?cfg.latency,
        bulk_response = ?cfg.bulk_response,
        "emulator listening on {}",
        handle.url()
    );
    stop.cancelled().await;
    let app = Arc::clone(&handle.app);
    handle.stop().await;
    let totals = app.store.totals();
    let by_status = totals
        .requests_by_status
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    tracing::info!(event = "emulator.stopped", 
        requests = totals.requests,
        records = totals.records,
        versions = totals.records_accepted,
        rejected = totals.records_rejected,
        replays = totals.replays,
        max_in_flight = totals.max_in_flight,
        "emulator stopped: {} requests ({}), {} versions of {} records accepted, {} rejected, {} replays, max in flight per record {}",
        totals.requests,
        if by_status.is_empty() { "none".to_string() } else { by_status },
        totals.records_accepted,
        totals.records,
        totals.records_rejected,
        totals.replays,
        totals.max_in_flight,
    );
    Ok(ExitCode::SUCCESS)
}

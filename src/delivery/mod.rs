//! The delivery pool: `concurrency` workers, each looping claim → send → settle.
//!
//! - Claim (`queue::claim`): a short transaction; at most one event per record, the
//!   earliest unfinished one, so a record's events go out in order, one at a time.
//!   Candidates that must wait for an earlier event of their record are parked.
//! - Claim size adapts (`ClaimSize`): doubles while claims come back full, halves when
//!   they do not, between `CLAIM_MIN` and `--batch-size`, so a backlog drains in big
//!   rounds and a trickle goes out in small ones (gauge `certyo_queue_claim_size`).
//! - Hand-over: the transaction that marks rows delivered also leases each record's
//!   next event (`queue::chain`), and the worker sends those at once, without a claim:
//!   a hot record moves at the speed of one send + one settle per event.
//! - Send: up to `bulk_threshold` rows as concurrent single POSTs (they are distinct
//!   records), larger batches as bulk calls of at most 1000. A bulk refused as a whole
//!   (400/413/422) is re-sent record by record to isolate the bad ones. A bulk answer
//!   that does not prove a record's fate (`certyo::bulk_answer`) has that record
//!   confirmed by a single POST under the same idempotency key before anything is
//!   marked. No call starts that could not end before 90 % of the claim's lease; rows
//!   not sent in time go back unspent.
//! - Settle, by outcome: 202 → complete (one statement) and write back to the source
//!   rows; 5xx/transport → retry with exponential backoff and jitter (Retry-After
//!   honoured), dead letter after `max_attempts`; 429 → hand back without counting the
//!   attempt (Retry-After honoured, capped), never a dead letter; rejected content → dead letter at
//!   once; 401/403 → hand the rows back unspent and pause every worker (`AuthGate`)
//!   until the key works again; a redirect or 404/405 on our paths (misdirected base
//!   URL) → hand back unspent, pause for `auth_retry`, `/readyz` 503 (`health`).
//! - Shutdown: stop claiming, let in-flight deliveries finish within the timeout, hand
//!   back anything claimed but not sent. A worker killed outright loses nothing: its
//!   leases expire and the rows are claimed again.
//!
//! Files: `claim_loop` (a worker's loop, claim size, hand-back), `send` (the send
//! strategy: waves, singles, bulk, isolation, confirmation), `settle` (complete with
//! write-back and hand-over, retry, bury, release), `pacing` (the 429 pause, credential
//! and misdirection gating, the credential probe), `progress` (the progress line and
//! backlog gauges), `writeback_due` (kept write-backs retried), `config` (settings and
//! backoff), `health` (failure streaks, misdirection, stalls: log and `/readyz`).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::certyo::{AuthGate, CertyoClient};
use config::WorkerConfig;
use health::DeliveryHealth;

mod claim_loop;
mod complete;
pub mod config;
pub mod health;
mod pacing;
mod progress;
mod send;
mod settle;
mod writeback_due;

/// Counters of what the pool did; read by the progress line and by tests.
#[derive(Debug, Default)]
pub struct Stats {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    pub released: AtomicU64,
    /// Rows this process claimed but could not settle because their lease expired first.
    pub lost_leases: AtomicU64,
    /// Next events leased in the transaction that settled their predecessors.
    pub handed_over: AtomicU64,
    /// The workers' current claim sizes, summed (gauge `certyo_queue_claim_size`).
    pub claim_window: AtomicU64,
    pub api_calls: AtomicU64,
    /// Records whose bulk answer proved nothing, confirmed by single calls.
    pub bulk_uncertain: AtomicU64,
    /// Rows handed back because the base URL leads elsewhere (redirect, 404/405).
    pub misdirected: AtomicU64,
}

/// Most claim and settle transactions one process runs at once. More workers than this
/// keep more HTTP calls in flight, but their transactions queue here instead of in the
/// database: measured with `bench` on 2 cores (MariaDB and MySQL), 16 workers with 16
/// concurrent transactions drained slower than 8 and cost more database CPU per row;
/// with 4 at a time, 16 workers are at least as fast as 8.
pub const DB_SLOTS: usize = 4;

/// Everything the workers share.
pub struct Delivery {
    db: MySqlPool,
    client: CertyoClient,
    cfg: WorkerConfig,
    schema: String,
    instance: String,
    pub stats: Arc<Stats>,
    pub auth: Arc<AuthGate>,
    pub health: Arc<DeliveryHealth>,
    /// Set from a 429's Retry-After: no worker claims before then, so the whole pool
    /// slows down together instead of each worker finding the limit on its own.
    paused_until: std::sync::Mutex<Option<Instant>>,
    /// Claim and settle transactions in flight at once: at most [`DB_SLOTS`], however
    /// many workers (HTTP calls are not limited by it).
    db_slots: tokio::sync::Semaphore,
}

impl Delivery {
    pub fn new(db: MySqlPool, client: CertyoClient, cfg: WorkerConfig, schema: String) -> Self {
        let slots = cfg.concurrency.clamp(1, DB_SLOTS);
        Delivery {
            health: Arc::new(DeliveryHealth::new(cfg.stall_after)),
            db,
            client,
            cfg,
            schema,
            instance: instance_name(),
            stats: Arc::default(),
            auth: Arc::default(),
            paused_until: std::sync::Mutex::new(None),
            db_slots: tokio::sync::Semaphore::new(slots),
        }
    }

    /// Run the pool until `stop`, then drain in-flight work within the shutdown timeout.
    /// Returns false if some deliveries were still running when the timeout passed
    /// (their rows return to the queue when their leases expire).
    pub async fn run(self: Arc<Self>, stop: CancellationToken) -> bool {
        let tracker = TaskTracker::new();
        for idx in 0..self.cfg.concurrency {
            let me = Arc::clone(&self);
            let stop = stop.clone();
            tracker.spawn(async move { me.worker_loop(idx, stop).await });
        }
        let side_stop = CancellationToken::new();
        let me = Arc::clone(&self);
        let ps = side_stop.clone();
        let progress = tokio::spawn(async move { me.progress_loop(ps).await });
        let me = Arc::clone(&self);
        let ps = side_stop.clone();
        let prober = tokio::spawn(async move { me.auth_probe_loop(ps).await });
        let me = Arc::clone(&self);
        let ps = side_stop.clone();
        let due = tokio::spawn(async move { me.writeback_due_loop(ps).await });
        tracker.close();

        stop.cancelled().await;
        let drained = tokio::time::timeout(self.cfg.shutdown_timeout, tracker.wait())
            .await
            .is_ok();
        side_stop.cancel();
        let _ = progress.await;
        let _ = prober.await;
        let _ = due.await;
        if !drained {
            tracing::warn!(
                event = "worker.shutdown_timeout",
                "shutdown timeout passed with deliveries in flight; their rows return to the queue when their leases expire"
            );
        }
        drained
    }
}

/// Sleep for `d` unless `stop` fires first; returns true if stopped.
async fn sleep_or_stop(d: Duration, stop: &CancellationToken) -> bool {
    tokio::select! {
        _ = stop.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

/// A name for this process in lease tokens: host, pid and a random tag.
fn instance_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().chars().take(40).collect::<String>())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}:{}:{:04x}", std::process::id(), fastrand::u16(..))
}

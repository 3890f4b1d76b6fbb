//! What `work` shows to operators: Prometheus metrics and the `/metrics`, `/healthz`
//! and `/readyz` endpoints.
//!
//! Metrics go through the `metrics` facade (one process-wide recorder, installed once);
//! every metric name is a constant below so the code and the README agree:
//! - `certyo_queue_delivered_total{table}`, `certyo_queue_retried_total{table}`,
//!   `certyo_queue_dead_total{table}`: rows by outcome.
//! - `certyo_queue_depth`, `certyo_queue_oldest_pending_seconds`: the backlog, refreshed
//!   with the progress line.
//! - `certyo_queue_delivery_latency_seconds`: a row's `created_at` (database clock) to
//!   Certyo's 202 (this host's clock).
//! - `certyo_api_request_duration_seconds{endpoint}`, `certyo_api_responses_total{endpoint,status}`.
//! - `certyo_verify_outcomes_total{outcome}`: anchored, not_yet, failed, retry_later, superseded.
//! - `certyo_queue_claim_conflicts_total`: claims retried after a deadlock or lock wait timeout.
//! - `certyo_queue_bulk_uncertain_total`: records a bulk answer did not prove accepted
//!   or refused, confirmed by single calls.
//! - `certyo_rows_altered{table}` (gauge): rows `audit --mark` set to 'Altered',
//!   counted each verification round.
//! - `certyo_ready`, `certyo_api_key_refused`: 1/0, what `/readyz` says and whether
//!   Certyo refuses the key, refreshed every [`READINESS_REFRESH`] (alerts need them as
//!   series: a probe's answer is not scraped).
//! - `certyo_leader{task}`: 1 while this process holds the job's leader lock (set by
//!   `crate::tasks`).
//! - `certyo_capture_triggers{table,state}`, `certyo_queue_dead_letters{table}`: what `status`
//!   says, refreshed by `crate::tasks::capture_health`.
//! - `certyo_capture_lag_seconds{table,source}`: how far the poller is behind a polled
//!   table (0 when caught up).
//!
//! `/healthz` answers 200 while the process serves; `/readyz` answers 200 only when the
//! database answers, Certyo has not refused the API key, the base URL leads to the
//! ingestion API (no redirect, no 404/405 on our paths) and delivery is not stalled.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::certyo::AuthGate;
use crate::worker_health::DeliveryHealth;

pub const DELIVERED: &str = "certyo_queue_delivered_total";
pub const RETRIED: &str = "certyo_queue_retried_total";
pub const DEAD: &str = "certyo_queue_dead_total";
pub const DEPTH: &str = "certyo_queue_depth";
pub const OLDEST_PENDING: &str = "certyo_queue_oldest_pending_seconds";
pub const DELIVERY_LATENCY: &str = "certyo_queue_delivery_latency_seconds";
pub const API_DURATION: &str = "certyo_api_request_duration_seconds";
pub const API_RESPONSES: &str = "certyo_api_responses_total";
pub const VERIFY_OUTCOMES: &str = "certyo_verify_outcomes_total";
pub const CLAIM_CONFLICTS: &str = "certyo_queue_claim_conflicts_total";
pub const BULK_UNCERTAIN: &str = "certyo_queue_bulk_uncertain_total";
/// Gauge: rows marked 'Altered' by `audit --mark`, per table (refreshed each
/// verification round, by the process that runs verification).
pub const ROWS_ALTERED: &str = "certyo_rows_altered";
pub const READY: &str = "certyo_ready";
pub const API_KEY_REFUSED: &str = "certyo_api_key_refused";
pub const LEADER: &str = "certyo_leader";
pub const CAPTURE_TRIGGERS: &str = "certyo_capture_triggers";
pub const DEAD_LETTERS: &str = "certyo_queue_dead_letters";

/// How often the readiness gauges are recomputed.
pub const READINESS_REFRESH: Duration = Duration::from_secs(5);
/// Rows the delivery workers claim per round, summed over the pool (adaptive).
pub const CLAIM_SIZE: &str = "certyo_queue_claim_size";
/// Seconds between now and the newest stamp the poller has passed (0 when caught up),
/// per polled table: `{table, source="poll"}`.
pub const CAPTURE_LAG: &str = "certyo_capture_lag_seconds";

/// Histogram buckets in seconds: 1 ms to 5 min.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use. None if another
/// recorder was installed first (metrics are then not exported).
pub fn recorder() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

/// What the readiness check looks at.
#[derive(Clone)]
pub struct Health {
    pub db: MySqlPool,
    pub auth: Arc<AuthGate>,
    /// The delivery pool's own view (misdirection, stall); `None` without a pool.
    pub delivery: Option<Arc<DeliveryHealth>>,
}

#[derive(Clone)]
struct AppState {
    health: Health,
    metrics: Option<PrometheusHandle>,
}

/// Bind `addr` and serve the endpoints until `stop`. Returns the bound address (so
/// `127.0.0.1:0` works) and the server task.
pub async fn serve(
    addr: SocketAddr,
    health: Health,
    stop: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let metrics = recorder();
    let gauges_health = health.clone();
    let state = AppState {
        health,
        metrics: metrics.clone(),
    };
    let app = Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let upkeep_stop = stop.clone();
        tokio::spawn(async move {
            while !upkeep_stop.is_cancelled() {
                set_readiness_gauges(&gauges_health).await;
                if let Some(handle) = &metrics {
                    handle.run_upkeep();
                }
                tokio::select! {
                    _ = upkeep_stop.cancelled() => {}
                    _ = tokio::time::sleep(READINESS_REFRESH) => {}
                }
            }
        });
        let shutdown = stop.clone();
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
        {
            tracing::warn!(event = "telemetry.server", error = %e, "metrics server stopped");
        }
    });
    Ok((bound, task))
}

async fn render_metrics(State(state): State<AppState>) -> (StatusCode, String) {
    match state.metrics {
        Some(handle) => {
            handle.run_upkeep();
            (StatusCode::OK, handle.render())
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed\n".into(),
        ),
    }
}

async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    match readiness(&state.health).await {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
    }
}

/// What `/readyz` answers: `Err` with the reason when not ready.
async fn readiness(health: &Health) -> Result<(), String> {
    let ping = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query(include_str!("../sql/health_ping.sql")).execute(&health.db),
    )
    .await;
    match ping {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("database: {e}")),
        Err(_) => return Err("database: no answer within 2s".into()),
    }
    if health.auth.is_failing() {
        return Err("certyo: the API key or tenant was refused (401/403)".into());
    }
    if let Some(Err(why)) = health.delivery.as_ref().map(|d| d.readiness()) {
        return Err(why);
    }
    Ok(())
}

/// `certyo_ready` and `certyo_api_key_refused`, as `/readyz` would answer now.
async fn set_readiness_gauges(health: &Health) {
    let ready = readiness(health).await.is_ok();
    metrics::gauge!(READY).set(if ready { 1.0 } else { 0.0 });
    let refused = health.auth.is_failing();
    metrics::gauge!(API_KEY_REFUSED).set(if refused { 1.0 } else { 0.0 });
}

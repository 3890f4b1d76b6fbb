//! The HTTP endpoints of `work`: `/metrics` (the Prometheus recorder of
//! `crate::telemetry`), `/healthz` and `/readyz`.
//!
//! `/healthz` answers 200 while the process serves; `/readyz` answers 200 only when the
//! database answers, Certyo has not refused the API key, the base URL leads to the
//! ingestion API (no redirect, no 404/405 on our paths) and delivery is not stalled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::certyo::AuthGate;
use crate::delivery::health::DeliveryHealth;
use crate::telemetry::{recorder, API_KEY_REFUSED, READINESS_REFRESH, READY};

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

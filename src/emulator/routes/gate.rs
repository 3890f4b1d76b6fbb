//! The gate every request passes through: for `/api/…` the redirect and outage knobs,
//! the API key, the rate limit, injected failures and the latency; for every request
//! the status count and one debug line.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::validate::error;
use super::{App, LatencyDone};

pub(super) async fn gate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let counted = !path.starts_with("/_emulator/");
    let resp = if counted {
        api_gate(&app, req, next).await
    } else {
        next.run(req).await
    };
    let status = resp.status().as_u16();
    if counted {
        app.store.count_status(status);
    }
    tracing::debug!(
        method = %method,
        path = %path,
        status,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "emulator.request"
    );
    resp
}

async fn api_gate(app: &App, req: Request, next: Next) -> Response {
    if let Some((status, base)) = app.knobs.redirect() {
        let to = format!("{base}{}", req.uri().path());
        let mut r = error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT),
            format!("moved to {to}"),
        );
        if let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert("location", v);
        }
        return r;
    }
    if app.knobs.outage() {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (emulated outage)",
        );
    }
    let key_ok = req
        .headers()
        .get("x-api-key")
        .is_some_and(|k| app.knobs.key_matches(k.as_bytes()));
    let resp = if !key_ok {
        error(StatusCode::UNAUTHORIZED, "missing or invalid X-API-Key")
    } else if let Err(secs) = app.knobs.take_token() {
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
        r.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
        r
    } else if app.knobs.roll_failure() {
        let id = format!("emu-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let mut r = error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error (injected); correlation id {id}"),
        );
        if let Ok(v) = HeaderValue::from_str(&id) {
            r.headers_mut().insert("x-correlation-id", v);
        }
        r
    } else {
        next.run(req).await
    };
    if resp.extensions().get::<LatencyDone>().is_none() {
        let latency = app.knobs.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }
    resp
}

//! The emulator's HTTP surface: the four Certyo endpoints, the read-only inspection
//! endpoint, and the gate every API call passes through.
//!
//! Order of checks for `/api/…`: outage (503, immediate) → `X-API-Key` (401) → rate
//! limit (429 + `Retry-After`) → injected failure (500 + `X-Correlation-Id`) → body
//! size (413) → JSON shape and fields (400 naming the field) → tenant (403) → work.
//! The configured latency is added to every answer except the outage's; for ingestion
//! it is spent while the records are marked in flight. The gate counts every answer's
//! status and logs one debug line per request.
//!
//! Ingestion runs on the emulator's task tracker, so a client that hangs up (say, on
//! its own timeout) does not cancel it: the records are stored anyway, as a real server
//! would, and a retry is answered by idempotent replay.
//!
//! Layout: this module holds the shared [`App`] and the router; `gate` the checks
//! before every API call; `validate` reading bodies and fields (and the refusal type);
//! `ingest` the two ingestion endpoints and the bulk answer shapes; `verify`,
//! `snapshots` and `inspect` the read endpoints.

mod gate;
mod ingest;
mod inspect;
mod snapshots;
mod validate;
mod verify;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tokio_util::task::TaskTracker;

use super::knobs::Knobs;
use super::state::Store;
use crate::certyo::types::{BULK_PATH, RECORDS_PATH, SNAPSHOTS_PATH, VERIFY_PATH};
use validate::error;

pub use snapshots::{SnapshotItem, SnapshotsResponse};

/// The inspection endpoint (not part of the Certyo API; never counted in totals).
pub const INSPECT_PATH: &str = "/_emulator/records";

/// Shared by every handler.
pub(crate) struct App {
    pub store: Store,
    pub knobs: Knobs,
    pub tenant_id: String,
    pub tasks: TaskTracker,
    pub max_body: usize,
    pub max_bulk_body: usize,
}

/// Marks a response whose latency was already spent inside the handler.
#[derive(Clone, Copy)]
struct LatencyDone;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(
            RECORDS_PATH,
            post(ingest::ingest_one).layer(DefaultBodyLimit::max(app.max_body)),
        )
        .route(
            BULK_PATH,
            post(ingest::ingest_bulk).layer(DefaultBodyLimit::max(app.max_bulk_body)),
        )
        .route(
            VERIFY_PATH,
            post(verify::verify).layer(DefaultBodyLimit::max(app.max_body)),
        )
        .route(SNAPSHOTS_PATH, get(snapshots::snapshots))
        .route(INSPECT_PATH, get(inspect::inspect))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), gate::gate))
        .with_state(app)
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such endpoint")
}

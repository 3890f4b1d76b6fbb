//! `GET /api/v1/snapshots`: every stored version of a record as a snapshot,
//! `PendingAnchor` until the anchor delay has passed, then `Anchored`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::super::state::{hex, rfc3339, sha256};
use super::validate::Invalid;
use super::App;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SnapshotQuery {
    tenant_id: Option<String>,
    record_id: Option<String>,
    database: Option<String>,
    collection: Option<String>,
}

/// The answer of `GET /api/v1/snapshots`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotsResponse {
    pub items: Vec<SnapshotItem>,
}

/// One accepted version of a record, as a snapshot.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotItem {
    pub snapshot_id: String,
    pub record_id: String,
    pub database: String,
    pub collection: String,
    pub record_hash: String,
    /// `PendingAnchor` until the anchor delay has passed since acceptance, then `Anchored`.
    pub status: String,
    pub on_chain_confirmed: bool,
    pub on_chain_merkle_root: Option<String>,
    pub ingested_at: String,
    pub updated_at: String,
}

pub(super) async fn snapshots(
    State(app): State<Arc<App>>,
    q: Result<Query<SnapshotQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return Invalid::bad(None, "malformed query string").response();
    };
    let Some(tenant_id) = q.tenant_id.filter(|t| !t.is_empty()) else {
        return Invalid::bad(Some("tenantId"), "tenantId is required").response();
    };
    if tenant_id != app.tenant_id {
        return Invalid {
            status: StatusCode::FORBIDDEN,
            field: Some("tenantId".into()),
            message: format!("this API key is not allowed for tenant {tenant_id:?}"),
        }
        .response();
    }
    let Some(record_id) = q.record_id.filter(|r| !r.is_empty()) else {
        return Invalid::bad(Some("recordId"), "recordId is required").response();
    };
    let delay = app.knobs.anchor_delay();
    let rows = app.store.snapshots(
        &tenant_id,
        &record_id,
        q.database.as_deref(),
        q.collection.as_deref(),
    );
    let items = rows
        .into_iter()
        .map(|r| {
            let anchored = r.accepted.elapsed() >= delay;
            let updated = if anchored {
                chrono::Duration::from_std(delay)
                    .ok()
                    .and_then(|d| r.accepted_at.checked_add_signed(d))
                    .unwrap_or(r.accepted_at)
            } else {
                r.accepted_at
            };
            SnapshotItem {
                snapshot_id: format!("snap-{}", r.seq),
                record_id: r.record_id,
                database: r.database,
                collection: r.collection,
                record_hash: hex(&r.hash),
                status: if anchored {
                    "Anchored"
                } else {
                    "PendingAnchor"
                }
                .into(),
                on_chain_confirmed: anchored,
                on_chain_merkle_root: anchored.then(|| format!("0x{}", hex(&sha256(&r.hash)))),
                ingested_at: rfc3339(r.accepted_at),
                updated_at: rfc3339(updated),
            }
        })
        .collect();
    Json(SnapshotsResponse { items }).into_response()
}

//! `POST /api/v1/verify/record`: whether a record's latest version is anchored (after
//! the anchor delay), and, given a payload, whether it is the content stored.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::super::state::{canonical_json, hex, sha256, RecordKey};
use super::validate::{check_tenant, error, read_json, required_str, Invalid};
use super::App;
use crate::certyo::types::VerifyResponse;

pub(super) async fn verify(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let value = match read_json(body, app.max_body) {
        Ok(v) => v,
        Err(inv) => return inv.response(),
    };
    match verify_answer(&app, value) {
        Ok(r) => r,
        Err(inv) => inv.response(),
    }
}

fn verify_answer(app: &App, value: Value) -> Result<Response, Invalid> {
    let Value::Object(mut m) = value else {
        return Err(Invalid::bad(None, "body must be a JSON object"));
    };
    let tenant_id = check_tenant(&mut m, &app.tenant_id)?;
    let key = RecordKey {
        tenant_id,
        database: required_str(&mut m, "database")?,
        collection: required_str(&mut m, "collection")?,
        record_id: required_str(&mut m, "recordId")?,
    };
    let payload = match m.remove("payload") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => {
            return Err(Invalid::bad(
                Some("payload"),
                "payload must be a JSON object",
            ))
        }
    };
    let Some(latest) = app.store.latest(&key) else {
        return Ok(error(StatusCode::NOT_FOUND, "record not found"));
    };
    let anchored = latest.accepted.elapsed() >= app.knobs.anchor_delay();
    let hash = hex(&latest.hash);
    let matches = payload
        .map(|p| sha256(canonical_json(&p).as_bytes()) == latest.hash)
        .unwrap_or(true);
    let (verified, status, reason) = match (matches, anchored) {
        (false, _) => (false, "fail", "hash_mismatch"),
        (true, true) => (true, "pass", "verified_anchored"),
        (true, false) => (false, "pending", "pending_anchor"),
    };
    Ok(Json(VerifyResponse {
        verified: Some(verified),
        anchored_on_chain: Some(anchored),
        verification_status: Some(status.into()),
        reason_category: Some(reason.into()),
        snapshot_hash: anchored.then(|| hash.clone()),
        record_hash: Some(hash),
    })
    .into_response())
}

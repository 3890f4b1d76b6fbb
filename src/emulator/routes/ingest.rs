//! The two ingestion endpoints (`POST /api/v1/records`, `POST /api/v1/records/bulk`):
//! records marked in flight, stored (or replayed) on the task tracker, and the bulk
//! answer in the shape the `BulkResponseMode` knob asks for.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::super::state::{hex, rfc3339, IngestAnswer, NewVersion, RecordKey};
use super::validate::{check_tenant, error, parse_record, read_json, Echo, Invalid, Parsed};
use super::{App, LatencyDone};
use crate::certyo::types::{BulkItemResult, BulkResponse, IngestResponse, BULK_MAX};
use crate::cli::BulkResponseMode;

/// Mark the records in flight, spend the latency, store them. Runs on the tracker so
/// it completes even if the client hangs up.
async fn process(
    app: &Arc<App>,
    keys: Vec<RecordKey>,
    versions: Vec<NewVersion>,
) -> Option<Vec<IngestAnswer>> {
    let app2 = Arc::clone(app);
    let work = app.tasks.spawn(async move {
        let mut flight = app2.store.begin(keys);
        let latency = app2.knobs.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        app2.store.commit(&mut flight, versions)
    });
    work.await.ok()
}

fn with_latency_done(mut resp: Response) -> Response {
    resp.extensions_mut().insert(LatencyDone);
    resp
}

pub(super) async fn ingest_one(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let value = match read_json(body, app.max_body) {
        Ok(v) => v,
        Err(inv) => return inv.response(),
    };
    let Parsed { key, version, echo } = match parse_record(value, &app.tenant_id) {
        Ok(p) => p,
        Err((inv, _)) => {
            app.store.note_rejected(1);
            return inv.response();
        }
    };
    let tenant_id = key.tenant_id.clone();
    let Some(outcome) = process(&app, vec![key], vec![version])
        .await
        .and_then(|o| o.into_iter().next())
    else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "emulator task failed");
    };
    with_latency_done(
        (
            StatusCode::ACCEPTED,
            Json(IngestResponse {
                record_id: echo.record_id,
                record_hash: Some(hex(&outcome.hash)),
                tenant_id: Some(tenant_id),
                accepted_at: Some(rfc3339(outcome.accepted_at)),
                idempotency_replayed: Some(outcome.replayed),
            }),
        )
            .into_response(),
    )
}

pub(super) async fn ingest_bulk(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let value = match read_json(body, app.max_bulk_body) {
        Ok(v) => v,
        Err(inv) => return inv.response(),
    };
    let Value::Object(mut top) = value else {
        return Invalid::bad(None, "body must be a JSON object").response();
    };
    if let Err(inv) = check_tenant(&mut top, &app.tenant_id) {
        return inv.response();
    }
    let records = match top.remove("records") {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => {
            return Invalid::bad(Some("records"), "records is required").response()
        }
        Some(_) => {
            return Invalid::bad(Some("records"), "records must be an array of records").response()
        }
    };
    let n = records.len();
    if n == 0 {
        return Invalid::bad(Some("records"), "records must hold at least one record").response();
    }
    if n > BULK_MAX {
        return Invalid::bad(
            Some("records"),
            format!("at most {BULK_MAX} records per call, got {n}"),
        )
        .response();
    }
    let mode = app.knobs.bulk_mode();
    let mut keys = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut items: Vec<Result<Echo, (Invalid, Echo)>> = Vec::with_capacity(n);
    for (i, rec) in records.into_iter().enumerate() {
        match parse_record(rec, &app.tenant_id) {
            Ok(Parsed { key, version, echo }) => {
                keys.push(key);
                versions.push(version);
                items.push(Ok(echo));
            }
            Err((inv, _)) if mode == BulkResponseMode::RejectBatch => {
                app.store.note_rejected(n);
                return inv.in_bulk(i).response();
            }
            Err(e) => items.push(Err(e)),
        }
    }
    let rejected = n - keys.len();
    app.store.note_rejected(rejected);
    if keys.is_empty() {
        return answer_bulk(mode, items, Vec::new(), rejected);
    }
    let Some(outcomes) = process(&app, keys, versions).await else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "emulator task failed");
    };
    with_latency_done(answer_bulk(mode, items, outcomes, rejected))
}

fn answer_bulk(
    mode: BulkResponseMode,
    items: Vec<Result<Echo, (Invalid, Echo)>>,
    outcomes: Vec<IngestAnswer>,
    rejected: usize,
) -> Response {
    match mode {
        BulkResponseMode::Bare => {
            let body = json!({"accepted": outcomes.len(), "rejected": rejected});
            return (StatusCode::ACCEPTED, Json(body)).into_response();
        }
        BulkResponseMode::NoDetail => return StatusCode::ACCEPTED.into_response(),
        BulkResponseMode::Strings
        | BulkResponseMode::BareArray
        | BulkResponseMode::OnlyRejected
        | BulkResponseMode::Shuffled => return answer_bulk_shaped(mode, items, outcomes, rejected),
        BulkResponseMode::Items | BulkResponseMode::RejectBatch => {}
    }
    let accepted = outcomes.len();
    let mut outcomes = outcomes.into_iter();
    let results = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Ok(echo) => match outcomes.next() {
                Some(o) => BulkItemResult {
                    index: Some(i),
                    record_id: echo.record_id,
                    idempotency_key: echo.idempotency_key,
                    status: Some(202),
                    record_hash: Some(hex(&o.hash)),
                    idempotency_replayed: Some(o.replayed),
                    error: None,
                },
                None => BulkItemResult {
                    index: Some(i),
                    record_id: echo.record_id,
                    idempotency_key: echo.idempotency_key,
                    status: Some(500),
                    error: Some("emulator lost this record's outcome".into()),
                    ..Default::default()
                },
            },
            Err((inv, echo)) => BulkItemResult {
                index: Some(i),
                record_id: echo.record_id,
                idempotency_key: echo.idempotency_key,
                status: Some(inv.status.as_u16()),
                error: Some(inv.message),
                ..Default::default()
            },
        })
        .collect();
    (
        StatusCode::ACCEPTED,
        Json(BulkResponse {
            accepted: Some(accepted),
            rejected: Some(rejected),
            results: Some(results),
        }),
    )
        .into_response()
}

/// The answers of the modes other than `items`, built as plain JSON.
fn answer_bulk_shaped(
    mode: BulkResponseMode,
    items: Vec<Result<Echo, (Invalid, Echo)>>,
    outcomes: Vec<IngestAnswer>,
    rejected: usize,
) -> Response {
    let accepted = outcomes.len();
    let mut outcomes = outcomes.into_iter();
    let mut results: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let (ok, echo, error) = match item {
            Ok(echo) => match outcomes.next() {
                Some(o) => (Some(o), echo, None),
                None => (
                    None,
                    echo,
                    Some("emulator lost this record's outcome".to_string()),
                ),
            },
            Err((inv, echo)) => (None, echo, Some(inv.message)),
        };
        let v = match (mode, ok) {
            (BulkResponseMode::OnlyRejected, Some(_)) => continue,
            (BulkResponseMode::OnlyRejected, None) => json!({
                "idempotencyKey": echo.idempotency_key,
                "recordId": echo.record_id,
                "status": 400,
                "error": error,
            }),
            (BulkResponseMode::BareArray, Some(o)) => {
                json!({"status": "accepted", "recordHash": hex(&o.hash)})
            }
            (BulkResponseMode::BareArray, None) => json!({"status": "rejected", "error": error}),
            (_, Some(o)) => json!({
                "recordId": echo.record_id,
                "status": "accepted",
                "recordHash": hex(&o.hash),
            }),
            (_, None) => json!({"recordId": echo.record_id, "status": "rejected", "error": error}),
        };
        results.push(v);
    }
    if mode == BulkResponseMode::Shuffled {
        fastrand::shuffle(&mut results);
    }
    let body = if mode == BulkResponseMode::BareArray {
        Value::Array(results)
    } else {
        json!({"accepted": accepted, "rejected": rejected, "results": results})
    };
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

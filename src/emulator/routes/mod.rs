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

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio_util::task::TaskTracker;

use super::knobs::Knobs;
use super::state::{hex, rfc3339, sha256, IngestAnswer, NewVersion, OpType, RecordKey, Store};
use crate::certyo::types::{
    BulkItemResult, BulkResponse, ErrorBody, IngestResponse, VerifyResponse, BULK_MAX, BULK_PATH,
    RECORDS_PATH, SNAPSHOTS_PATH, VERIFY_PATH,
};
use crate::cli::BulkResponseMode;

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
            post(ingest_one).layer(DefaultBodyLimit::max(app.max_body)),
        )
        .route(
            BULK_PATH,
            post(ingest_bulk).layer(DefaultBodyLimit::max(app.max_bulk_body)),
        )
        .route(
            VERIFY_PATH,
            post(verify).layer(DefaultBodyLimit::max(app.max_body)),
        )
        .route(SNAPSHOTS_PATH, get(snapshots))
        .route(INSPECT_PATH, get(inspect))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), gate))
        .with_state(app)
}

/// A refusal: status, message, and the field it is about.
#[derive(Debug)]
struct Invalid {
    status: StatusCode,
    field: Option<String>,
    message: String,
}

impl Invalid {
    fn bad(field: Option<&str>, message: impl Into<String>) -> Invalid {
        Invalid {
            status: StatusCode::BAD_REQUEST,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    fn response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
                field: self.field,
            }),
        )
            .into_response()
    }

    /// The same refusal about record `i` of a bulk call.
    fn in_bulk(self, i: usize) -> Invalid {
        Invalid {
            status: self.status,
            field: Some(match self.field {
                Some(f) => format!("records[{i}].{f}"),
                None => format!("records[{i}]"),
            }),
            message: format!("records[{i}]: {}", self.message),
        }
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    Invalid {
        status,
        field: None,
        message: message.into(),
    }
    .response()
}

async fn gate(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
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

fn read_json(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Value, Invalid> {
    let bytes = body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Invalid {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                field: None,
                message: format!("body larger than {limit} bytes"),
            }
        } else {
            Invalid::bad(None, format!("cannot read the body: {rej}"))
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Invalid::bad(None, format!("body is not valid JSON: {e}")))
}

/// A string field: `Ok(None)` when absent or null and not required.
fn take_str(
    m: &mut Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<Option<String>, Invalid> {
    match m.remove(name) {
        None | Some(Value::Null) if required => {
            Err(Invalid::bad(Some(name), format!("{name} is required")))
        }
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Err(Invalid::bad(
            Some(name),
            format!("{name} must not be empty"),
        )),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Invalid::bad(Some(name), format!("{name} must be a string"))),
    }
}

fn required_str(m: &mut Map<String, Value>, name: &str) -> Result<String, Invalid> {
    take_str(m, name, true)?.ok_or_else(|| Invalid::bad(Some(name), format!("{name} is required")))
}

/// `tenantId`: required, and it must be the key's tenant (403 otherwise).
fn check_tenant(m: &mut Map<String, Value>, tenant: &str) -> Result<String, Invalid> {
    let t = required_str(m, "tenantId")?;
    if t != tenant {
        return Err(Invalid {
            status: StatusCode::FORBIDDEN,
            field: Some("tenantId".into()),
            message: format!("this API key is not allowed for tenant {t:?}"),
        });
    }
    Ok(t)
}

/// What a response echoes of a record, read before validation.
#[derive(Debug, Default)]
struct Echo {
    record_id: Option<String>,
    idempotency_key: Option<String>,
}

struct Parsed {
    key: RecordKey,
    version: NewVersion,
    echo: Echo,
}

/// Validate one record field by field; the first bad field is named.
fn parse_record(value: Value, tenant: &str) -> Result<Parsed, (Invalid, Echo)> {
    let Value::Object(mut m) = value else {
        return Err((
            Invalid::bad(None, "a record must be a JSON object"),
            Echo::default(),
        ));
    };
    let echo = Echo {
        record_id: m.get("recordId").and_then(Value::as_str).map(str::to_owned),
        idempotency_key: m
            .get("idempotencyKey")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    match check_record(&mut m, tenant) {
        Ok((key, version)) => Ok(Parsed { key, version, echo }),
        Err(inv) => Err((inv, echo)),
    }
}

fn check_record(
    m: &mut Map<String, Value>,
    tenant: &str,
) -> Result<(RecordKey, NewVersion), Invalid> {
    let tenant_id = check_tenant(m, tenant)?;
    let database = required_str(m, "database")?;
    let collection = required_str(m, "collection")?;
    let record_id = required_str(m, "recordId")?;
    let payload = match m.remove("recordPayload") {
        None | Some(Value::Null) => {
            return Err(Invalid::bad(
                Some("recordPayload"),
                "recordPayload is required",
            ))
        }
        Some(v @ Value::Object(_)) => v,
        Some(_) => {
            return Err(Invalid::bad(
                Some("recordPayload"),
                "recordPayload must be a JSON object",
            ))
        }
    };
    let op = match take_str(m, "operationType", false)? {
        None => OpType::Upsert,
        Some(s) => OpType::parse(&s).ok_or_else(|| {
            Invalid::bad(
                Some("operationType"),
                "operationType must be one of insert, update, delete, upsert",
            )
        })?,
    };
    let source_timestamp = take_str(m, "sourceTimestamp", false)?;
    if let Some(ts) = &source_timestamp {
        if !is_iso8601(ts) {
            return Err(Invalid::bad(
                Some("sourceTimestamp"),
                "sourceTimestamp must be an ISO 8601 date-time",
            ));
        }
    }
    let idempotency_key = take_str(m, "idempotencyKey", false)?;
    if idempotency_key.as_ref().is_some_and(|k| k.len() > 256) {
        return Err(Invalid::bad(
            Some("idempotencyKey"),
            "idempotencyKey must be at most 256 bytes",
        ));
    }
    take_str(m, "recordVersion", false)?;
    take_str(m, "clientId", false)?;
    let canonical = super::state::canonical_json(&payload);
    let hash = sha256(canonical.as_bytes());
    Ok((
        RecordKey {
            tenant_id,
            database,
            collection,
            record_id,
        },
        NewVersion {
            idempotency_key: idempotency_key.map(Arc::from),
            op,
            payload: canonical.into_boxed_str(),
            hash,
            source_timestamp,
        },
    ))
}

/// RFC 3339, or ISO 8601 without an offset (`2026-04-12T15:30:45[.123]`).
fn is_iso8601(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

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

async fn ingest_one(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
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

async fn ingest_bulk(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
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

async fn verify(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
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
        .map(|p| sha256(super::state::canonical_json(&p).as_bytes()) == latest.hash)
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotQuery {
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

async fn snapshots(
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct InspectQuery {
    collection: Option<String>,
    record_id: Option<String>,
    /// Totals only, no records.
    #[serde(default)]
    summary: bool,
}

async fn inspect(
    State(app): State<Arc<App>>,
    q: Result<Query<InspectQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return Invalid::bad(None, "malformed query string").response();
    };
    if q.summary {
        return Json(super::state::Inspection {
            records: Vec::new(),
            totals: app.store.totals(),
        })
        .into_response();
    }
    Json(
        app.store
            .inspect(q.collection.as_deref(), q.record_id.as_deref()),
    )
    .into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such endpoint")
}

//! Reading request bodies and validating a record field by field; [`Invalid`], the
//! refusal (status, message, the field it is about) every endpoint answers with.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};

use super::super::state::{canonical_json, sha256, NewVersion, OpType, RecordKey};
use crate::certyo::types::ErrorBody;

/// A refusal: status, message, and the field it is about.
#[derive(Debug)]
pub(super) struct Invalid {
    pub(super) status: StatusCode,
    pub(super) field: Option<String>,
    pub(super) message: String,
}

impl Invalid {
    pub(super) fn bad(field: Option<&str>, message: impl Into<String>) -> Invalid {
        Invalid {
            status: StatusCode::BAD_REQUEST,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    pub(super) fn response(self) -> Response {
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
    pub(super) fn in_bulk(self, i: usize) -> Invalid {
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

pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    Invalid {
        status,
        field: None,
        message: message.into(),
    }
    .response()
}

pub(super) fn read_json(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Value, Invalid> {
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

pub(super) fn required_str(m: &mut Map<String, Value>, name: &str) -> Result<String, Invalid> {
    take_str(m, name, true)?.ok_or_else(|| Invalid::bad(Some(name), format!("{name} is required")))
}

/// `tenantId`: required, and it must be the key's tenant (403 otherwise).
pub(super) fn check_tenant(m: &mut Map<String, Value>, tenant: &str) -> Result<String, Invalid> {
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
pub(super) struct Echo {
    pub(super) record_id: Option<String>,
    pub(super) idempotency_key: Option<String>,
}

pub(super) struct Parsed {
    pub(super) key: RecordKey,
    pub(super) version: NewVersion,
    pub(super) echo: Echo,
}

/// Validate one record field by field; the first bad field is named.
pub(super) fn parse_record(value: Value, tenant: &str) -> Result<Parsed, (Invalid, Echo)> {
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
    let canonical = canonical_json(&payload);
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

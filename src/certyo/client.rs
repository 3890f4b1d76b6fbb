//! The Certyo HTTP client: one shared `reqwest::Client` (keep-alive, rustls, request
//! timeout) and a classification of every answer into what the caller should do.
//!
//! The API key may come from a file; `reload_key` re-reads it, so a rotated key starts
//! working without a restart.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use thiserror::Error;

use super::types::*;
use crate::config::{ApiConfig, ApiKey};
use crate::telemetry;

/// What went wrong with a call, grouped by what the caller should do about it.
#[derive(Debug, Error)]
pub enum ApiError {
    /// The API refused the content (400, 404, 413, 422): retrying the same records
    /// cannot help.
    #[error("rejected with {status}: {message}")]
    Rejected { status: u16, message: String },
    /// 401/403: the key or tenant is wrong. A configuration problem, not a row problem.
    #[error("not authorised ({status}): {message}; check CERTYO_API_KEY and CERTYO_TENANT_ID")]
    Auth { status: u16, message: String },
    /// 429: slow down, then retry.
    #[error("rate limited (429){}", retry_after.map(|d| format!(", retry after {d:?}")).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx: Certyo's side; retry later.
    #[error("server error {status}{}: {message}", correlation_id.as_ref().map(|c| format!(" (correlation id {c})")).unwrap_or_default())]
    Server {
        status: u16,
        correlation_id: Option<String>,
        message: String,
    },
    /// Timeout, refused connection, broken body: retry later.
    #[error("transport: {0}")]
    Transport(String),
}

/// How soon a failed call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Never with the same content.
    Never,
    /// Not before the configuration is fixed.
    AfterConfigFix,
    /// Later; the server may have said when.
    Later(Option<Duration>),
}

impl ApiError {
    pub fn retry(&self) -> Retry {
        match self {
            ApiError::Rejected { .. } => Retry::Never,
            ApiError::Auth { .. } => Retry::AfterConfigFix,
            ApiError::RateLimited { retry_after } => Retry::Later(*retry_after),
            ApiError::Server { .. } | ApiError::Transport(_) => Retry::Later(None),
        }
    }

    /// A short label for metrics and logs: the status code or `transport`.
    pub fn label(&self) -> String {
        match self {
            ApiError::Rejected { status, .. }
            | ApiError::Auth { status, .. }
            | ApiError::Server { status, .. } => status.to_string(),
            ApiError::RateLimited { .. } => "429".into(),
            ApiError::Transport(_) => "transport".into(),
        }
    }
}

/// A record the API accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub record_hash: Option<String>,
}

/// The fate of one record of a bulk call.
#[derive(Debug)]
pub enum BulkItemOutcome {
    Accepted(Ingested),
    Failed(ApiError),
}

/// The shared Certyo client. Cheap to clone.
#[derive(Clone)]
pub struct CertyoClient {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

struct Inner {
    cfg: ApiConfig,
    key: RwLock<ApiKey>,
    key_file: Option<PathBuf>,
}

impl CertyoClient {
    pub fn new(cfg: ApiConfig, key_file: Option<PathBuf>) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("certyo-queue/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Transport(format!("building the HTTP client: {e}")))?;
        let key = RwLock::new(cfg.api_key.clone());
        Ok(CertyoClient {
            http,
            inner: Arc::new(Inner { cfg, key, key_file }),
        })
    }

    pub fn config(&self) -> &ApiConfig {
        &self.inner.cfg
    }

    /// Re-read the key file, if the key came from one. Returns whether the key changed.
    pub fn reload_key(&self) -> bool {
        let Some(path) = &self.inner.key_file else {
            return false;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        let fresh = text.trim();
        if fresh.is_empty() {
            return false;
        }
        let Ok(mut key) = self.inner.key.write() else {
            return false;
        };
        if key.expose() == fresh {
            return false;
        }
        *key = ApiKey::new(fresh);
        true
    }

    fn key(&self) -> String {
        match self.inner.key.read() {
            Ok(k) => k.expose().to_string(),
            Err(poisoned) => poisoned.into_inner().expose().to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}{}",
            self.inner.cfg.base_url.as_str().trim_end_matches('/'),
            path
        )
    }

    async fn post<B: serde::Serialize + ?Sized>(
        &self,
        path: &'static str,
        body: &B,
    ) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let started = Instant::now();
        let result = self.post_inner(path, body).await;
        let status = match &result {
            Ok((status, _)) => status.as_u16().to_string(),
            Err(e) => e.label(),
        };
        metrics::histogram!(telemetry::API_DURATION, "endpoint" => path)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!(telemetry::API_RESPONSES, "endpoint" => path, "status" => status)
            .increment(1);
        result
    }

    async fn post_inner<B: serde::Serialize + ?Sized>(
        &self,
        path: &'static str,
        body: &B,
    ) -> Result<(StatusCode, Vec<u8>), ApiError> {
        let resp = self
            .http
            .post(self.url(path))
            .header("X-API-Key", self.key())
            .json(body)
            .send()
            .await
            .map_err(|e| ApiError::Transport(describe_transport(&e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ApiError::Transport(describe_transport(&e)))?;
        if status.is_success() {
            return Ok((status, bytes.to_vec()));
        }
        Err(classify(status, &headers, &bytes))
    }

    /// Whether Certyo accepts our key and tenant: a verify call for a record that does
    /// not exist. Only 401/403 mean no; a 404 or 400 still proves the key works.
    pub async fn check_auth(&self) -> Result<(), ApiError> {
        let cfg = &self.inner.cfg;
        let probe = VerifyRequest {
            tenant_id: cfg.tenant_id.clone(),
            database: cfg.database.clone(),
            collection: "certyo_queue_auth_probe".into(),
            record_id: "probe".into(),
        };
        match self.post(VERIFY_PATH, &probe).await {
            Ok(_) | Err(ApiError::Rejected { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `POST /api/v1/records`: one record.
    pub async fn ingest(&self, record: &Record) -> Result<Ingested, ApiError> {
        let (_, body) = self.post(RECORDS_PATH, record).await?;
        // Accepted is accepted, whatever the body: a missing or odd body just means no hash.
        let parsed: IngestResponse = serde_json::from_slice(&body).unwrap_or_default();
        Ok(Ingested {
            record_hash: parsed.record_hash.filter(|h| !h.is_empty()),
        })
    }

    /// `POST /api/v1/records/bulk`: at most `BULK_MAX` records. On a 2xx, one outcome
    /// per record in input order; a 4xx for the whole call is returned as the error.
    pub async fn ingest_bulk(&self, records: &[Record]) -> Result<Vec<BulkItemOutcome>, ApiError> {
        let body = BulkRequest {
            tenant_id: &self.inner.cfg.tenant_id,
            records,
        };
        let (_, body) = self.post(BULK_PATH, &body).await?;
        let parsed: BulkResponse = serde_json::from_slice(&body).unwrap_or_default();
        Ok(match_bulk_results(records, parsed.results))
    }

    /// `POST /api/v1/verify/record`.
    pub async fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, ApiError> {
        let (_, body) = self.post(VERIFY_PATH, req).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Transport(format!("unreadable verify answer: {e}")))
    }
}

/// Pair per-item results with the records sent: by idempotency key where the result
/// carries one, else by index, else by position. A record with no result counts as
/// accepted (the documented "202 with no per-item detail" reading).
fn match_bulk_results(
    records: &[Record],
    results: Option<Vec<BulkItemResult>>,
) -> Vec<BulkItemOutcome> {
    let mut slots: Vec<Option<BulkItemResult>> = vec![None; records.len()];
    if let Some(results) = results {
        let same_len = results.len() == records.len();
        for (pos, item) in results.into_iter().enumerate() {
            let at = item
                .idempotency_key
                .as_ref()
                .and_then(|k| records.iter().position(|r| &r.idempotency_key == k))
                .or(item.index.filter(|i| *i < records.len()))
                .or(same_len.then_some(pos));
            if let Some(i) = at {
                slots[i] = Some(item);
            }
        }
    }
    slots
        .into_iter()
        .map(|slot| match slot {
            None => BulkItemOutcome::Accepted(Ingested::default()),
            Some(item) => item_outcome(item),
        })
        .collect()
}

fn item_outcome(item: BulkItemResult) -> BulkItemOutcome {
    let message = item.error.clone().unwrap_or_else(|| "rejected".into());
    match item.status {
        Some(s) if (200..300).contains(&s) => BulkItemOutcome::Accepted(Ingested {
            record_hash: item.record_hash.filter(|h| !h.is_empty()),
        }),
        None if item.error.is_none() => BulkItemOutcome::Accepted(Ingested {
            record_hash: item.record_hash.filter(|h| !h.is_empty()),
        }),
        Some(429) => BulkItemOutcome::Failed(ApiError::RateLimited { retry_after: None }),
        Some(s) if s >= 500 => BulkItemOutcome::Failed(ApiError::Server {
            status: s,
            correlation_id: None,
            message,
        }),
        Some(s @ (401 | 403)) => BulkItemOutcome::Failed(ApiError::Auth { status: s, message }),
        Some(s) => BulkItemOutcome::Failed(ApiError::Rejected { status: s, message }),
        None => BulkItemOutcome::Failed(ApiError::Rejected {
            status: 400,
            message,
        }),
    }
}

fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
    let message = error_message(body);
    let code = status.as_u16();
    match code {
        401 | 403 => ApiError::Auth {
            status: code,
            message,
        },
        429 => ApiError::RateLimited {
            retry_after: retry_after(headers),
        },
        500..=599 => ApiError::Server {
            status: code,
            correlation_id: headers
                .get("x-correlation-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            message,
        },
        // 408 Request Timeout is transient; every other 4xx is about the content.
        408 => ApiError::Transport(format!("408: {message}")),
        _ => ApiError::Rejected {
            status: code,
            message,
        },
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs and is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    v.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The error text of a body: its `error`, `message`, `detail` or `title` field, else
/// the text itself, cut to a sensible length.
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["error", "message", "detail", "title"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_string))
        });
    let mut msg = from_json.unwrap_or_else(|| text.trim().to_string());
    if msg.is_empty() {
        msg = "(empty body)".into();
    }
    if msg.len() > 500 {
        let mut cut = 500;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
        msg.push('…');
    }
    msg
}

fn describe_transport(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    // reqwest's Display may include the URL, which holds no secret (the key is a header).
    format!("{what}: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &str) -> Record {
        Record {
            tenant_id: "t".into(),
            database: "d".into(),
            collection: "c".into(),
            record_id: "1".into(),
            record_payload: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
            operation_type: "insert".into(),
            source_timestamp: None,
            idempotency_key: key.into(),
        }
    }

    #[test]
    fn bulk_without_detail_accepts_all() {
        let out = match_bulk_results(&[rec("a"), rec("b")], None);
        assert!(out
            .iter()
            .all(|o| matches!(o, BulkItemOutcome::Accepted(Ingested { record_hash: None }))));
    }

    #[test]
    fn bulk_results_pair_by_key_then_index() {
        let results = vec![
            BulkItemResult {
                idempotency_key: Some("b".into()),
                status: Some(400),
                error: Some("bad".into()),
                ..Default::default()
            },
            BulkItemResult {
                index: Some(0),
                status: Some(202),
                record_hash: Some("h".into()),
                ..Default::default()
            },
        ];
        let out = match_bulk_results(&[rec("a"), rec("b")], Some(results));
        assert!(
            matches!(&out[0], BulkItemOutcome::Accepted(Ingested { record_hash: Some(h) }) if h == "h")
        );
        assert!(matches!(
            &out[1],
            BulkItemOutcome::Failed(ApiError::Rejected { status: 400, .. })
        ));
    }

    #[test]
    fn error_text_comes_from_known_fields() {
        assert_eq!(
            error_message(br#"{"error":"recordId is required","field":"recordId"}"#),
            "recordId is required"
        );
        assert_eq!(error_message(b"plain"), "plain");
        assert_eq!(error_message(b""), "(empty body)");
    }
}

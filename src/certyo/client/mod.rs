//! The Certyo HTTP client: one shared `reqwest::Client` (keep-alive, rustls, request
//! timeout) and a classification of every answer into what the caller should do.
//!
//! The API key may come from a file; `reload_key` re-reads it, so a rotated key starts
//! working without a restart.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;
use thiserror::Error;

use super::bulk_answer::{self, Sent, Verdict};
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
    /// The call never got an HTTP answer: retry later. `cause` names why, for the
    /// operator (timeout, refused, untrusted TLS certificate, …).
    #[error("{cause}: {detail}")]
    Network { cause: NetCause, detail: String },
    /// The base URL does not lead to the ingestion API: a redirect (never followed, so
    /// the key and the records stay on the configured host) or a 404/405 on our own
    /// paths. A configuration problem, not a row problem.
    #[error("{detail} (HTTP {status}); check CERTYO_BASE_URL")]
    Misdirected { status: u16, detail: String },
}

/// Why a call got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetCause {
    Timeout,
    Refused,
    TlsCertificate,
    Tls,
    Connect,
    Body,
    Other,
}

impl std::fmt::Display for NetCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NetCause::Timeout => "timed out (--request-timeout)",
            NetCause::Refused => "connection refused",
            NetCause::TlsCertificate => {
                "TLS certificate not trusted (use --ca-file for a private CA)"
            }
            NetCause::Tls => "TLS handshake failed",
            NetCause::Connect => "cannot connect",
            NetCause::Body => "the answer's body broke off",
            NetCause::Other => "request failed",
        })
    }
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
            ApiError::Server { .. } | ApiError::Transport(_) | ApiError::Network { .. } => {
                Retry::Later(None)
            }
            ApiError::Misdirected { .. } => Retry::AfterConfigFix,
        }
    }

    /// A short label for metrics and logs: the status code or `transport`.
    pub fn label(&self) -> String {
        match self {
            ApiError::Rejected { status, .. }
            | ApiError::Auth { status, .. }
            | ApiError::Server { status, .. }
            | ApiError::Misdirected { status, .. } => status.to_string(),
            ApiError::RateLimited { .. } => "429".into(),
            ApiError::Transport(_) | ApiError::Network { .. } => "transport".into(),
        }
    }
}

/// A record the API accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub record_hash: Option<String>,
}

/// The fate of one record of a bulk call, as far as the answer proves it.
#[derive(Debug)]
pub enum BulkItemOutcome {
    Accepted(Ingested),
    /// The item carried an HTTP-like status: rejected, retry later or credentials.
    Failed(ApiError),
    /// Refused by a status word or flag (no code): the text for the dead letter.
    Rejected(String),
    /// The answer does not prove this record's fate: confirm it with a single POST
    /// under the same idempotency key. The text says why.
    Uncertain(String),
}

/// Options of the HTTP client beyond [`ApiConfig`].
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// PEM certificates (one or more) to trust besides the built-in roots: a private CA.
    pub extra_roots_pem: Option<Vec<u8>>,
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
        Self::with_options(cfg, key_file, ClientOptions::default())
    }

    /// The client, with redirects never followed: reqwest's default would carry
    /// `X-API-Key` and the records to whatever host a 3xx names (it strips only the
    /// standard auth headers) and turn a 302'd POST into a GET. A 3xx is reported as
    /// [`ApiError::Misdirected`] instead. `timeout` covers the whole call, body
    /// included, so an answer that never ends is cut too.
    pub fn with_options(
        cfg: ApiConfig,
        key_file: Option<PathBuf>,
        opts: ClientOptions,
    ) -> Result<Self, ApiError> {
        let mut builder = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("certyo-queue/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &opts.extra_roots_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ApiError::Transport(format!("reading --ca-file: {e}")))?;
            if certs.is_empty() {
                return Err(ApiError::Transport(
                    "--ca-file holds no PEM certificate".into(),
                ));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
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
            .map_err(|e| network_error(&e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_redirection() {
            // Not followed and its body not read: the Location is reported, never used.
            return Err(redirected(status, &headers, &self.inner.cfg.base_url));
        }
        let bytes = resp.bytes().await.map_err(|e| network_error(&e))?;
        if status.is_success() {
            return Ok((status, bytes.to_vec()));
        }
        let ingestion = path == RECORDS_PATH || path == BULK_PATH;
        if ingestion && matches!(status.as_u16(), 404 | 405) {
            return Err(ApiError::Misdirected {
                status: status.as_u16(),
                detail: format!(
                    "the API answers {} {} to POST {path}: the base URL does not lead to the ingestion API",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
            });
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
    /// per record in input order, read by [`bulk_answer::read`] (accepted only where
    /// the answer proves it); a 4xx for the whole call is returned as the error.
    pub async fn ingest_bulk(&self, records: &[Record]) -> Result<BulkAnswer, ApiError> {
        let body = BulkRequest {
            tenant_id: &self.inner.cfg.tenant_id,
            records,
        };
        let (_, body) = self.post(BULK_PATH, &body).await?;
        let sent: Vec<Sent<'_>> = records
            .iter()
            .map(|r| Sent {
                idempotency_key: &r.idempotency_key,
                record_id: &r.record_id,
                collection: &r.collection,
            })
            .collect();
        let reading = bulk_answer::read(&sent, &body);
        Ok(BulkAnswer {
            outcomes: reading.verdicts.into_iter().map(outcome_of).collect(),
            notes: reading.notes,
        })
    }

    /// `POST /api/v1/verify/record`.
    pub async fn verify(&self, req: &VerifyRequest) -> Result<VerifyResponse, ApiError> {
        let (_, body) = self.post(VERIFY_PATH, req).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Transport(format!("unreadable verify answer: {e}")))
    }

    /// `POST /api/v1/verify/record` with the content to check (`payload`).
    pub async fn verify_content(
        &self,
        req: &VerifyContentRequest<'_>,
    ) -> Result<VerifyResponse, ApiError> {
        let (_, body) = self.post(VERIFY_PATH, req).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::Transport(format!("unreadable verify answer: {e}")))
    }
}

/// What a bulk call's answer says, one outcome per record in batch order.
#[derive(Debug)]
pub struct BulkAnswer {
    pub outcomes: Vec<BulkItemOutcome>,
    /// Why some outcomes are uncertain (for the log).
    pub notes: Vec<String>,
}

fn outcome_of(v: Verdict) -> BulkItemOutcome {
    match v {
        Verdict::Accepted { hash } => BulkItemOutcome::Accepted(Ingested {
            record_hash: hash.filter(|h| !h.is_empty()),
        }),
        Verdict::Rejected {
            status: Some(status),
            message,
            ..
        } => BulkItemOutcome::Failed(ApiError::Rejected { status, message }),
        Verdict::Rejected {
            status: None,
            label,
            message,
        } => BulkItemOutcome::Rejected(match label {
            Some(l) => format!("rejected ({l}): {message}"),
            None => format!("rejected: {message}"),
        }),
        Verdict::RetryLater { status: 429, .. } => {
            BulkItemOutcome::Failed(ApiError::RateLimited { retry_after: None })
        }
        Verdict::RetryLater { status, message } => BulkItemOutcome::Failed(ApiError::Server {
            status,
            correlation_id: None,
            message,
        }),
        Verdict::Unauthorised { status, message } => {
            BulkItemOutcome::Failed(ApiError::Auth { status, message })
        }
        Verdict::Uncertain { reason } => BulkItemOutcome::Uncertain(reason),
    }
}

/// A 3xx: never followed. Names the host the redirect points at (never its path or
/// query, which may carry tokens).
fn redirected(status: StatusCode, headers: &HeaderMap, base: &reqwest::Url) -> ApiError {
    let target = headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| base.join(loc).ok());
    let to = match &target {
        Some(u)
            if u.host_str() == base.host_str()
                && u.port_or_known_default() == base.port_or_known_default() =>
        {
            format!("another path on the same host {}", host_of(u))
        }
        Some(u) => format!("another host, {}", host_of(u)),
        None => "an address it does not give".into(),
    };
    ApiError::Misdirected {
        status: status.as_u16(),
        detail: format!(
            "the API redirects to {to}; redirects are never followed (the API key would travel with them): set CERTYO_BASE_URL to the final address"
        ),
    }
}

fn host_of(u: &reqwest::Url) -> String {
    let host = u.host_str().unwrap_or("?");
    match u.port() {
        Some(p) => format!("{}://{host}:{p}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
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

/// `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3). A date in the
/// past means "now". The caller caps it (`--retry-max`).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(v, chrono::Utc::now())
}

fn parse_retry_after(v: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs.min(1e9)).ok())
            .flatten();
    }
    // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") is RFC 2822 with zone GMT.
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
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

/// A call that got no HTTP answer, with its cause found in the error chain.
fn network_error(e: &reqwest::Error) -> ApiError {
    use std::error::Error as _;
    let mut cause = if e.is_timeout() {
        NetCause::Timeout
    } else if e.is_connect() {
        NetCause::Connect
    } else if e.is_body() || e.is_decode() {
        NetCause::Body
    } else {
        NetCause::Other
    };
    // reqwest's Display may include the URL, which holds no secret (the key is a header).
    let mut detail = e.to_string();
    let mut shown = String::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = e.source();
    // Walk the chain; an io::Error is looked into (its `source` skips the error it
    // wraps, and hyper nests them: Other(InvalidData(rustls::Error))).
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            cause = match tls {
                rustls::Error::InvalidCertificate(_) => NetCause::TlsCertificate,
                _ => NetCause::Tls,
            };
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => cause = NetCause::Refused,
                std::io::ErrorKind::TimedOut => cause = NetCause::Timeout,
                _ => {}
            }
            if let Some(inner) = io.get_ref() {
                next = Some(inner as &(dyn std::error::Error + 'static));
                continue;
            }
        }
        let text = err.to_string();
        if !shown.contains(&text) {
            detail = format!("{detail}: {text}");
            shown.push_str(&text);
        }
        next = err.source();
    }
    ApiError::Network { cause, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert!(parse_retry_after("31536000", now).is_some());
    }

    #[test]
    fn a_redirect_names_only_the_target_host() {
        let base: reqwest::Url = "https://www.certyos.com".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            LOCATION,
            "http://evil.example:8081/collect?token=secret"
                .parse()
                .unwrap(),
        );
        let e = redirected(StatusCode::FOUND, &h, &base);
        let text = e.to_string();
        assert!(
            text.contains("another host, http://evil.example:8081"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(e.retry(), Retry::AfterConfigFix);
        h.insert(LOCATION, "/api/v2/records".parse().unwrap());
        let text = redirected(StatusCode::PERMANENT_REDIRECT, &h, &base).to_string();
        assert!(text.contains("same host"), "{text}");
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

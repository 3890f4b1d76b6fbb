//! The Certyo HTTP client: one shared `reqwest::Client` (keep-alive, rustls, request
//! timeout) and a classification of every answer into what the caller should do.
//!
//! The API key may come from a file; `reload_key` re-reads it, so a rotated key starts
//! working without a restart.
//!
//! Layout: this module holds the client and its calls; `error` what can go wrong
//! ([`ApiError`]) and how soon to retry; `classify` turns a non-2xx answer, a redirect
//! or a failed call into an [`ApiError`]; `outcome` turns a bulk reading into one
//! outcome per record.

mod classify;
mod error;
mod outcome;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::bulk_answer::{self, Sent};
use super::types::*;
use crate::config::{ApiConfig, ApiKey};
use crate::telemetry;

use classify::{classify, network_error, redirected};
pub use error::{ApiError, NetCause, Retry};
use outcome::outcome_of;
pub use outcome::{BulkAnswer, BulkItemOutcome, Ingested};

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

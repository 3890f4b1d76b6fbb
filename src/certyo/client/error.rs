//! What can go wrong with a Certyo call ([`ApiError`]), grouped by what the caller
//! should do about it, and how soon it may be retried ([`Retry`]).

use std::time::Duration;

use thiserror::Error;

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

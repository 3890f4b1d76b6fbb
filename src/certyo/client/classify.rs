//! Classifying what came back from a call that was not a success: a non-2xx status
//! (with its `Retry-After`, correlation id and error text), a redirect (never
//! followed), or no HTTP answer at all (with its cause found in the error chain).

use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::StatusCode;

use super::{ApiError, NetCause};

/// A 3xx: never followed. Names the host the redirect points at (never its path or
/// query, which may carry tokens).
pub(super) fn redirected(status: StatusCode, headers: &HeaderMap, base: &reqwest::Url) -> ApiError {
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

pub(super) fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ApiError {
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
pub(super) fn network_error(e: &reqwest::Error) -> ApiError {
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
    use crate::certyo::Retry;

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

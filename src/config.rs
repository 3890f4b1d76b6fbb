//! Settings resolved once, before a command runs: the database location (with its
//! password kept out of every printout) and the Certyo API credentials.

use std::fmt;
use std::time::Duration;

use sqlx::mysql::MySqlConnectOptions;

use crate::cli::{ApiArgs, DatabaseArgs};
use crate::error::ConfigError;

/// The URL parameters sqlx understands (it ignores others silently, so a misspelt
/// `ssl-mode` would quietly connect without the intended TLS checks: refuse them).
const URL_PARAMS: &[&str] = &[
    "ssl-mode",
    "sslmode",
    "ssl-ca",
    "sslca",
    "ssl-cert",
    "sslcert",
    "ssl-key",
    "sslkey",
    "charset",
    "collation",
    "socket",
    "statement-cache-capacity",
    "timezone",
    "time-zone",
];

/// A parsed database URL. `Display` shows it with the password replaced by `***`.
#[derive(Clone)]
pub struct DbConfig {
    url: reqwest::Url,
}

impl DbConfig {
    pub fn from_args(args: &DatabaseArgs) -> Result<Self, ConfigError> {
        Self::parse(&args.database_url)
    }

    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        let url = reqwest::Url::parse(raw).map_err(|e| ConfigError::Invalid {
            name: "--database-url",
            reason: format!("not a URL ({e}); expected mysql://user:password@host:3306/database"),
        })?;
        if url.scheme() != "mysql" && url.scheme() != "mariadb" {
            return Err(ConfigError::Invalid {
                name: "--database-url",
                reason: format!("scheme must be mysql://, not {}://", url.scheme()),
            });
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ConfigError::Invalid {
                name: "--database-url",
                reason: "has no host".into(),
            });
        }
        if let Some((key, _)) = url
            .query_pairs()
            .find(|(k, _)| !URL_PARAMS.contains(&k.as_ref()))
        {
            return Err(ConfigError::Invalid {
                name: "--database-url",
                reason: format!(
                    "unknown parameter `{key}`; known: ssl-mode, ssl-ca, ssl-cert, ssl-key, \
                     charset, collation, socket, statement-cache-capacity, timezone"
                ),
            });
        }
        let cfg = DbConfig { url };
        if cfg.schema().is_none() {
            return Err(ConfigError::Invalid {
                name: "--database-url",
                reason: "names no database; add it as the path, e.g. mysql://user@host:3306/shop"
                    .into(),
            });
        }
        Ok(cfg)
    }

    /// The database (schema) named in the URL.
    pub fn schema(&self) -> Option<String> {
        let path = self.url.path().trim_start_matches('/');
        (!path.is_empty()).then(|| path.to_string())
    }

    /// The URL itself (the binlog reader's replication connection reads host, port,
    /// user, password and TLS parameters from it). Never log it: it holds the password.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// Whether the URL turns TLS off (`ssl-mode=disabled`).
    pub fn tls_disabled(&self) -> bool {
        self.url.query_pairs().any(|(k, v)| {
            matches!(k.as_ref(), "ssl-mode" | "sslmode") && v.eq_ignore_ascii_case("disabled")
        })
    }

    /// The same server, another schema (tests and `bench` use scratch databases).
    pub fn with_schema(&self, schema: &str) -> Self {
        let mut url = self.url.clone();
        url.set_path(schema);
        DbConfig { url }
    }

    /// Connection options for sqlx. MySQL accepts `mariadb://` URLs too.
    pub fn connect_options(&self) -> Result<MySqlConnectOptions, ConfigError> {
        let mut url = self.url.clone();
        let _ = url.set_scheme("mysql");
        url.as_str()
            .parse::<MySqlConnectOptions>()
            .map_err(|e| ConfigError::Invalid {
                name: "--database-url",
                reason: redact_in(&e.to_string(), self.url.password()),
            })
    }
}

impl fmt::Display for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DbConfig({self})")
    }
}

fn redact_in(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "***"),
        _ => text.to_string(),
    }
}

/// The API key. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Everything needed to call Certyo.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub base_url: reqwest::Url,
    pub api_key: ApiKey,
    pub tenant_id: String,
    /// The `database` field sent with every record.
    pub database: String,
    pub request_timeout: Duration,
}

impl ApiConfig {
    /// Resolve and validate the API settings. `default_database` is the schema of the
    /// database URL.
    pub fn from_args(args: &ApiArgs, default_database: &str) -> Result<Self, ConfigError> {
        let key = match (&args.api_key, &args.api_key_file) {
            (Some(k), _) => k.trim().to_string(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| ConfigError::Invalid {
                    name: "--api-key-file",
                    reason: format!("cannot read {}: {e}", path.display()),
                })?
                .trim()
                .to_string(),
            (None, None) => String::new(),
        };
        if key.is_empty() {
            return Err(ConfigError::Missing(
                "CERTYO_API_KEY (or --api-key / --api-key-file)",
            ));
        }
        let tenant_id = args
            .tenant_id
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ConfigError::Missing("CERTYO_TENANT_ID (or --tenant-id)"))?
            .to_string();
        let base_url = reqwest::Url::parse(&args.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| ConfigError::Invalid {
                name: "CERTYO_BASE_URL",
                reason: format!("{:?} is not an http(s) URL", args.base_url),
            })?;
        if args.request_timeout.is_zero() {
            return Err(ConfigError::Invalid {
                name: "--request-timeout",
                reason: "must be above zero".into(),
            });
        }
        Ok(ApiConfig {
            base_url,
            api_key: ApiKey(key),
            tenant_id,
            database: args
                .certyo_database
                .clone()
                .unwrap_or_else(|| default_database.to_string()),
            request_timeout: args.request_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_hides_the_password() {
        let cfg = DbConfig::parse("mysql://app:s3cret@db.example:3306/shop").unwrap();
        let shown = cfg.to_string();
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("app:***@db.example"), "{shown}");
        assert_eq!(cfg.schema().as_deref(), Some("shop"));
    }

    #[test]
    fn tls_parameters_reach_the_connect_options() {
        let cfg = DbConfig::parse(
            "mysql://app@db.example:3306/shop?ssl-mode=verify_ca&ssl-ca=/etc/ca.pem&ssl-cert=/c.pem&ssl-key=/k.pem",
        )
        .unwrap();
        // MySqlConnectOptions has no getters for TLS; its Debug shows them.
        let shown = format!("{:?}", cfg.connect_options().unwrap());
        assert!(shown.contains("VerifyCa"), "{shown}");
        assert!(shown.contains("/etc/ca.pem"), "{shown}");
        assert!(
            shown.contains("/c.pem") && shown.contains("/k.pem"),
            "{shown}"
        );
        assert!(!cfg.tls_disabled());
        let off = DbConfig::parse("mysql://app@db.example/shop?ssl-mode=DISABLED").unwrap();
        assert!(off.tls_disabled());
    }

    #[test]
    fn a_misspelt_url_parameter_is_refused() {
        let err = DbConfig::parse("mysql://app@db.example/shop?ssl_mode=required").unwrap_err();
        assert!(
            err.to_string().contains("unknown parameter `ssl_mode`"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_ssl_mode_is_refused() {
        let cfg = DbConfig::parse("mysql://app@db.example/shop?ssl-mode=sometimes").unwrap();
        assert!(cfg.connect_options().is_err());
    }

    #[test]
    fn url_without_database_is_refused() {
        let err = DbConfig::parse("mysql://root@127.0.0.1:3306").unwrap_err();
        assert!(err.to_string().contains("names no database"), "{err}");
    }
}

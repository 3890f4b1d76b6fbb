//! Connection pools. Every session the library opens is set up the same way:
//! UTC, READ COMMITTED (fewer gap locks for the claim), and without sqlx's default
//! PIPES_AS_CONCAT (triggers created over a session keep its sql_mode).

use std::time::Duration;

use sqlx::mysql::MySqlConnection;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::{Connection, Executor};

use crate::config::DbConfig;
use crate::error::DbError;

/// Open a pool of at most `max` connections and check that the server answers.
pub async fn connect(cfg: &DbConfig, max: u32) -> Result<MySqlPool, DbError> {
    let options = cfg
        .connect_options()
        .map_err(|e| connect_error(cfg, sqlx::Error::Configuration(e.into())))?
        .pipes_as_concat(false)
        .timezone(Some("+00:00".to_string()));
    // One direct connection first: it fails at once with the real cause (refused,
    // access denied, unknown database) where the pool would only report a timeout.
    let probe = MySqlConnection::connect_with(&options)
        .await
        .map_err(|cause| connect_error(cfg, cause))?;
    let _ = probe.close().await;
    MySqlPoolOptions::new()
        .max_connections(max.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(include_str!("../sql/session_setup.sql"))
                    .await?;
                let version: String =
                    sqlx::query_scalar(include_str!("../sql/session_server_version.sql"))
                        .fetch_one(&mut *conn)
                        .await?;
                if version.contains("MariaDB") {
                    conn.execute(include_str!("../sql/session_setup_mariadb.sql"))
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|cause| connect_error(cfg, cause))
}

/// A connection failure, with a hint that fits its cause.
fn connect_error(cfg: &DbConfig, cause: sqlx::Error) -> DbError {
    let code = match &cause {
        sqlx::Error::Database(e) => e.code().map(|c| c.to_string()),
        _ => None,
    };
    // sqlx reports a refused certificate as an I/O error of kind InvalidData (rustls).
    let tls_failed = match &cause {
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Io(e) => e.kind() == std::io::ErrorKind::InvalidData && !cfg.tls_disabled(),
        _ => false,
    };
    let hint = match (&cause, code.as_deref()) {
        _ if tls_failed => {
            "The TLS handshake failed: check ssl-ca (the CA that signed the server's \
             certificate) and, with ssl-mode=verify_identity, that the certificate names this host."
        }
        // MariaDB answers a plain connection under require_secure_transport with
        // "access denied" (1045); MySQL with 3159.
        (_, Some("28000" | "08004" | "HY000")) if cfg.tls_disabled() => {
            "The URL turns TLS off (ssl-mode=disabled); if the server requires encrypted \
             connections (require_secure_transport), use ssl-mode=verify_ca&ssl-ca=/path/to/ca.pem. \
             Otherwise check the user and password."
        }
        _ => {
            "Is MySQL/MariaDB running there, and are the user and password right? \
             (local: `sudo service mariadb start`)"
        }
    };
    DbError::Connect {
        url: cfg.to_string(),
        cause,
        hint,
    }
}

/// What kind of database failure an error is; callers decide from this, never from
/// message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// Deadlock (1213) or lock wait timeout (1205): the same statement may succeed.
    LockConflict,
    /// The connection broke or the pool could not give one: retry on a new one.
    ConnectionLost,
    /// The user lacks a privilege (1142, 1143, 1044, 1045, 1227, 1370).
    Privilege,
    /// Anything else: retrying the same statement will fail the same way.
    Permanent,
}

/// Classify a database error.
pub fn classify(e: &sqlx::Error) -> DbErrorKind {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => DbErrorKind::ConnectionLost,
        sqlx::Error::Database(d) => {
            match d
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .map(|m| m.number())
            {
                Some(1205 | 1213) => DbErrorKind::LockConflict,
                // Server shutting down, connection killed, lost, gone away.
                Some(1053 | 1927 | 2006 | 2013 | 1317) => DbErrorKind::ConnectionLost,
                Some(1044 | 1045 | 1142 | 1143 | 1227 | 1370) => DbErrorKind::Privilege,
                _ => DbErrorKind::Permanent,
            }
        }
        _ => DbErrorKind::Permanent,
    }
}

/// The server's error number (e.g. 1360), when `e` is an error the server sent.
pub fn error_number(e: &sqlx::Error) -> Option<u16> {
    match e {
        sqlx::Error::Database(d) => d
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(|m| m.number()),
        _ => None,
    }
}

/// Lock conflicts and lost connections: worth retrying.
pub fn is_retryable(e: &sqlx::Error) -> bool {
    matches!(
        classify(e),
        DbErrorKind::LockConflict | DbErrorKind::ConnectionLost
    )
}

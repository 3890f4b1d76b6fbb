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
        .map_err(|e| DbError::Connect {
            url: cfg.to_string(),
            cause: sqlx::Error::Configuration(e.into()),
        })?
        .pipes_as_concat(false)
        .timezone(Some("+00:00".to_string()));
    // One direct connection first: it fails at once with the real cause (refused,
    // access denied, unknown database) where the pool would only report a timeout.
    let probe = MySqlConnection::connect_with(&options)
        .await
        .map_err(|cause| DbError::Connect {
            url: cfg.to_string(),
            cause,
        })?;
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
        .map_err(|cause| DbError::Connect {
            url: cfg.to_string(),
            cause,
        })
}

//! Running migrate's DDL: one statement over the text protocol (`exec`), and one that
//! waits for a table's metadata lock and is retried a few times (`exec_waiting`).

use std::time::Duration;

use sqlx::mysql::MySqlConnection;

use super::{MigrateError, METADATA_LOCK_TRIES};
use crate::db;

/// A statement that waits for `table`'s metadata lock: on a lock wait timeout (1205),
/// say what it waits for and try again, up to [`METADATA_LOCK_TRIES`] times.
pub(super) async fn exec_waiting(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
    sql: &str,
    doing: &'static str,
    wait: Duration,
) -> Result<(), MigrateError> {
    for attempt in 1..=METADATA_LOCK_TRIES {
        match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if db::classify(&e) == db::DbErrorKind::LockConflict => {
                tracing::warn!(
                    event = "migrate.waiting",
                    table = %table,
                    attempt,
                    tries = METADATA_LOCK_TRIES,
                    "waiting: another session (typically an open transaction on `{table}`) holds its metadata lock; gave up after {}s ({doing}), try {attempt} of {METADATA_LOCK_TRIES}",
                    wait.as_secs().max(1)
                );
            }
            Err(e) => {
                return Err(MigrateError::from_sqlx(
                    format!("{doing} `{table}`"),
                    schema,
                    e,
                ))
            }
        }
    }
    Err(MigrateError::MetadataLocked {
        table: table.to_string(),
        doing: doing.to_string(),
        secs: wait.as_secs().max(1),
        tries: METADATA_LOCK_TRIES,
    })
}

/// One DDL statement over the text protocol (CREATE TRIGGER and LOCK TABLES cannot be
/// prepared on MySQL).
pub(super) async fn exec(
    conn: &mut MySqlConnection,
    schema: &str,
    sql: &str,
    doing: String,
) -> Result<(), MigrateError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(|e| MigrateError::from_sqlx(doing, schema, e))
}

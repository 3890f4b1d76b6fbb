//! Trigger capture of one table: its tracking columns, the all-or-nothing install of its
//! triggers under `LOCK TABLES`, and putting the previous triggers back on failure.

use std::time::Duration;

use sqlx::mysql::MySqlConnection;

use super::exec::{exec, exec_waiting};
use super::MigrateError;
use crate::capture::{self, CapturePlan, ExistingTrigger};

/// The table's tracking-column ALTER, if it needs one (waiting as migrate's DDL does).
pub(super) async fn add_tracking_columns(
    conn: &mut MySqlConnection,
    schema: &str,
    cp: &CapturePlan,
    wait: Duration,
) -> Result<(), MigrateError> {
    if let Some(alter) = &cp.alter {
        exec_waiting(
            conn,
            schema,
            &cp.table,
            alter,
            "adding tracking columns",
            wait,
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn apply_capture(
    conn: &mut MySqlConnection,
    schema: &str,
    cp: &CapturePlan,
    existing: &[ExistingTrigger],
    wait: Duration,
) -> Result<(), MigrateError> {
    add_tracking_columns(conn, schema, cp, wait).await?;
    if cp.trigger_statements.is_empty() {
        return Ok(());
    }
    // The trigger statements set the session's sql_mode and collation (SET NAMES); put
    // the caller's back after, the connection may serve others.
    let (mode, collation): (String, String) =
        sqlx::query_as(include_str!("../../sql/capture_session_mode_get.sql"))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| MigrateError::from_sqlx("reading the session's sql_mode", schema, e))?;
    let mut result = Ok(());
    let mut dropped = false;
    for sql in &cp.trigger_statements {
        let doing = format!("installing the capture triggers of `{}`", cp.table);
        let step = if capture::is_lock_statement(sql) {
            // LOCK TABLES: the one statement that waits for the application.
            exec_waiting(conn, schema, &cp.table, sql, "locking the table", wait).await
        } else {
            exec(conn, schema, sql, doing).await
        };
        if capture::is_drop_statement(sql) && step.is_ok() {
            dropped = true;
        }
        if let Err(e) = step {
            // All or nothing: once a trigger was dropped, put the old ones back (still
            // under the table lock, so no write falls in between).
            let restored = if dropped {
                restore_triggers(conn, schema, &cp.table, existing).await
            } else {
                Ok(())
            };
            // Never leave the table locked (the connection may go back to a pool).
            let _ = sqlx::raw_sql(capture::unlock_statement())
                .execute(&mut *conn)
                .await;
            result = Err(match restored {
                Ok(()) => e,
                Err(r) => MigrateError::RestoreFailed {
                    table: cp.table.clone(),
                    failure: Box::new(e),
                    restore: r.to_string(),
                },
            });
            break;
        }
    }
    let restored = sqlx::query(include_str!("../../sql/capture_session_mode_restore.sql"))
        .bind(&mode)
        .bind(&collation)
        .execute(&mut *conn)
        .await;
    if let Err(e) = restored {
        tracing::warn!(event = "migrate.sql_mode_restore", error = %e, "could not restore the session's sql_mode");
    }
    result?;
    tracing::debug!(event = "migrate.capture", table = %cp.table, triggers = ?cp.triggers, columns_added = ?cp.columns_added);
    Ok(())
}

/// Drop whatever triggers of ours `table` has now and create the ones it had before.
pub(super) async fn restore_triggers(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
    before: &[ExistingTrigger],
) -> Result<(), MigrateError> {
    let now = capture::existing_triggers(conn, schema).await?;
    for t in now.iter().filter(|t| t.table == table) {
        exec(
            conn,
            schema,
            &capture::triggers::drop_statement(&t.name),
            format!("restoring the triggers of `{table}`"),
        )
        .await?;
    }
    for t in before.iter().filter(|t| t.table == table) {
        let Some(sql) = capture::restore_statement(t) else {
            continue;
        };
        exec(
            conn,
            schema,
            &sql,
            format!("restoring the triggers of `{table}`"),
        )
        .await?;
    }
    tracing::warn!(event = "migrate.restored", table = %table, "regenerating the triggers failed; the previous triggers were put back");
    Ok(())
}

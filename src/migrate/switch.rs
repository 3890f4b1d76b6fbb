//! Switching a table's capture source without losing or repeating a change: triggers →
//! polling (`apply_poll`), polling → triggers (`switch_to_trigger`) and triggers → the
//! binary log (`switch_to_binlog`), each under one table lock.

use std::time::Duration;

use sqlx::mysql::MySqlConnection;

use super::exec::{exec, exec_waiting};
use super::prepare::Target;
use super::triggers::{apply_capture, restore_triggers};
use super::MigrateError;
use crate::capture::introspect::Engine;
use crate::capture::template::{fill, quote_ident, statement};
use crate::capture::{self, poll, registry, CapturePlan, ExistingTrigger, TableShape};

/// How far back the catch-up of a poll → trigger switch reads before the newest stamp
/// polled (under the table lock every transaction has committed, so this only has to
/// cover what the poller's own window would still re-read).
const SWITCH_CATCH_UP_LAG: Duration = Duration::from_secs(60);

/// Capture `shape` by polling: tracking columns, the poll index if asked for, then
/// either a fresh checkpoint (nothing stamped before now is read: that is backfill's),
/// or, for a table captured by triggers until now, the switch under one table lock:
/// the triggers are dropped, the checkpoint starts one second before the lock was
/// asked for, and every row stamped since is recorded as enqueued (the triggers
/// enqueued it), so no change falls between the two sources and none is sent twice.
#[allow(clippy::too_many_arguments)]
pub(super) async fn apply_poll(
    conn: &mut MySqlConnection,
    schema: &str,
    shape: &TableShape,
    cp: &CapturePlan,
    spec: &poll::PollSpec,
    check: &poll::PollCheck,
    existing: &[ExistingTrigger],
    wait: Duration,
) -> Result<(), MigrateError> {
    let table = shape.name.as_str();
    if let Some(alter) = &cp.alter {
        exec_waiting(conn, schema, table, alter, "adding tracking columns", wait).await?;
    }
    if let Some(index) = &check.create_index {
        exec_waiting(conn, schema, table, index, "creating the poll index", wait).await?;
    }
    let drops = capture::plan_uncapture(table, existing);
    let (floor, _) = poll::db_now(conn).await?;
    if drops.is_empty() {
        poll::checkpoint_start(conn, table, floor).await?;
        return Ok(());
    }
    // The shape after the ALTER, so the seeded digests match what the poller reads.
    let shape = capture::inspect(conn, schema, table)
        .await?
        .unwrap_or_else(|| shape.clone());
    let sql = poll::PollSql::new(&shape, &spec.poll_column)?;
    let lock = poll::lock_statement(table);
    exec_waiting(conn, schema, table, &lock, "locking the table", wait).await?;
    let mut dropped = false;
    let result: Result<(), MigrateError> = async {
        drop_triggers(conn, schema, table, &drops, &mut dropped).await?;
        let (_, now) = poll::db_now(conn).await?;
        poll::checkpoint_reset(conn, table, floor, now.max(floor)).await?;
        poll::seed_seen(conn, &sql, floor).await?;
        Ok(())
    }
    .await;
    end_switch(conn, schema, table, existing, dropped, result).await
}

/// Switch a polled table to triggers, under one table lock: every transaction on it
/// has committed, so a last poll (from the checkpoint's window to the end) enqueues
/// every change not polled yet, then the triggers are created and the poll checkpoint
/// forgotten; writes resume with the triggers in place.
pub(super) async fn switch_to_trigger(
    conn: &mut MySqlConnection,
    schema: &str,
    shape: &TableShape,
    cp: &CapturePlan,
    existing: &[ExistingTrigger],
    target: &Target,
    wait: Duration,
) -> Result<(), MigrateError> {
    let table = shape.name.as_str();
    if let Some(alter) = &cp.alter {
        exec_waiting(conn, schema, table, alter, "adding tracking columns", wait).await?;
    }
    let column = target
        .prev_spec
        .as_ref()
        .map_or(poll::DEFAULT_COLUMN, |s| s.poll_column.as_str());
    let shape_now = capture::inspect(conn, schema, table)
        .await?
        .unwrap_or_else(|| shape.clone());
    let sql = poll::PollSql::new(&shape_now, column)?;
    let lock = poll::lock_statement(table);
    exec_waiting(conn, schema, table, &lock, "locking the table", wait).await?;
    if let Err(e) = catch_up(conn, &sql).await {
        let _ = sqlx::raw_sql(capture::unlock_statement())
            .execute(&mut *conn)
            .await;
        return Err(e);
    }
    // The trigger statements minus their own LOCK TABLES (which would let writes in
    // between) and UNLOCK: the poll lock covers certyo_queue too, and the checkpoint
    // goes before the unlock, so the poller never reads a change the triggers capture.
    let statements: Vec<String> = cp
        .trigger_statements
        .iter()
        .filter(|s| !capture::is_lock_statement(s) && s.as_str() != capture::unlock_statement())
        .cloned()
        .collect();
    let unlocked = CapturePlan {
        trigger_statements: statements,
        alter: None,
        ..cp.clone()
    };
    let result = async {
        apply_capture(conn, schema, &unlocked, existing, wait).await?;
        poll::forget(conn, table, true).await?;
        Ok::<(), MigrateError>(())
    }
    .await;
    let _ = sqlx::raw_sql(capture::unlock_statement())
        .execute(&mut *conn)
        .await;
    result
}

/// A last poll of a polled table, under its lock: every change not polled yet is
/// enqueued (no row changes between read and enqueue).
async fn catch_up(conn: &mut MySqlConnection, sql: &poll::PollSql) -> Result<(), MigrateError> {
    let mut cursor = None;
    loop {
        let page =
            poll::poll_page(conn, sql, SWITCH_CATCH_UP_LAG, cursor.as_ref(), 1000, None).await?;
        match page {
            Some(Ok(p)) if p.read == 1000 => cursor = p.last,
            _ => return Ok(()),
        }
    }
}

/// The lock `switch_to_binlog` holds: for a table captured by triggers, or (`polled`)
/// by polling.
pub(super) fn binlog_lock_statement(table: &str, polled: bool) -> String {
    let file = if polled {
        include_str!("../../sql/binlog_lock_tables_from_poll.sql")
    } else {
        include_str!("../../sql/binlog_lock_tables.sql")
    };
    fill(statement(file), &[("table", &quote_ident(table))])
}

/// Where a table switched to the binary log was captured until now.
pub(super) enum FromSource<'a> {
    Triggers(&'a [ExistingTrigger]),
    /// Polled by this column.
    Poll(&'a str),
}

/// Switch a table captured by triggers or by polling to the binary log, under one table
/// lock (taken once every transaction on it has ended): the triggers are dropped, or a
/// last poll enqueues what polling has not yet and its bookkeeping is forgotten; the
/// table is registered and the reader's first checkpoint (if it has none yet) is read,
/// all before the unlock. A change before the lock was queued by the old source; one
/// after it is logged after the registry entry, where the reader (which follows
/// registry changes in the log) starts reading the table. Nothing falls between, nothing
/// is queued twice.
pub(super) async fn switch_to_binlog(
    conn: &mut MySqlConnection,
    schema: &str,
    shape: &TableShape,
    from: FromSource<'_>,
    engine: Engine,
    wait: Duration,
) -> Result<(), MigrateError> {
    let table = shape.name.as_str();
    let poll_sql = match from {
        FromSource::Poll(column) => {
            let shape_now = capture::inspect(conn, schema, table)
                .await?
                .unwrap_or_else(|| shape.clone());
            Some(poll::PollSql::new(&shape_now, column)?)
        }
        FromSource::Triggers(_) => None,
    };
    let existing: &[ExistingTrigger] = match from {
        FromSource::Triggers(existing) => existing,
        FromSource::Poll(_) => &[],
    };
    let lock = binlog_lock_statement(table, poll_sql.is_some());
    exec_waiting(conn, schema, table, &lock, "locking the table", wait).await?;
    let mut dropped = false;
    let result: Result<(), MigrateError> = async {
        if let Some(sql) = &poll_sql {
            catch_up(conn, sql).await?;
            poll::forget(conn, table, true).await?;
        }
        let drops = capture::plan_uncapture(table, existing);
        drop_triggers(conn, schema, table, &drops, &mut dropped).await?;
        registry::register(conn, table, registry::Source::Binlog, None).await?;
        let at = capture::binlog::server_position(conn, engine).await?;
        capture::binlog::checkpoint_start(conn, &at).await?;
        Ok(())
    }
    .await;
    end_switch(conn, schema, table, existing, dropped, result).await
}

/// Drop a table's triggers (`drops`), noting in `dropped` once one is gone.
async fn drop_triggers(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
    drops: &[String],
    dropped: &mut bool,
) -> Result<(), MigrateError> {
    for d in drops {
        exec(
            conn,
            schema,
            d,
            format!("dropping the triggers of `{table}`"),
        )
        .await?;
        *dropped = true;
    }
    Ok(())
}

/// The end of a switch under the table lock: after a failure with triggers already
/// dropped, put them back (the table stays captured by them); then unlock.
async fn end_switch(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
    existing: &[ExistingTrigger],
    dropped: bool,
    result: Result<(), MigrateError>,
) -> Result<(), MigrateError> {
    let result = match result {
        Err(e) if dropped => match restore_triggers(conn, schema, table, existing).await {
            Ok(()) => Err(e),
            Err(r) => Err(MigrateError::RestoreFailed {
                table: table.to_string(),
                failure: Box::new(e),
                restore: r.to_string(),
            }),
        },
        other => other,
    };
    let _ = sqlx::raw_sql(capture::unlock_statement())
        .execute(&mut *conn)
        .await;
    result
}

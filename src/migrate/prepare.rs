//! Step 1 of a migrate, before anything changes: check the server and every named table
//! (shape, digest options, cascades, binlog renderability) and decide how each table is
//! captured (`Target`). Any refusal happens here.

use std::time::Duration;

use sqlx::mysql::MySqlConnection;

use super::{MigrateError, MigratePlan, METADATA_LOCK_WAIT};
use crate::capture::{self, poll, registry, CaptureError, Cascade, TableShape};
use crate::server_checks::ServerSettings;

/// What step 1 found, for the steps that change things.
pub(super) struct Prepared {
    /// How long one DDL or LOCK TABLES waits for a metadata lock.
    pub wait: Duration,
    /// The tables to capture, with the digest options asked for applied.
    pub shapes: Vec<TableShape>,
    /// Per shape, the foreign keys whose cascades bypass its triggers.
    pub cascades: Vec<Vec<Cascade>>,
    /// The capture registry as it was before this run.
    pub registered: Vec<registry::Registered>,
    /// Per shape, how it ends up captured.
    pub targets: Vec<Target>,
    /// The binary log's server checks, when some table is read from the log.
    pub binlog_server: Option<capture::binlog::BinlogServer>,
}

/// Check everything `plan` names and decide each table's capture; changes nothing.
pub(super) async fn prepare(
    conn: &mut MySqlConnection,
    schema: &str,
    plan: &MigratePlan,
) -> Result<Prepared, MigrateError> {
    let settings = ServerSettings::read(conn)
        .await
        .map_err(|e| MigrateError::from_sqlx("reading server settings", schema, e))?;
    settings.check_delivery()?;
    let wait = plan.lock_wait.unwrap_or(METADATA_LOCK_WAIT);
    sqlx::query(include_str!("../../sql/migrate_lock_wait.sql"))
        .bind(wait.as_secs().max(1))
        .execute(&mut *conn)
        .await
        .map_err(|e| MigrateError::from_sqlx("setting lock_wait_timeout", schema, e))?;
    let mut shapes: Vec<TableShape> = Vec::new();
    let mut cascades: Vec<Vec<Cascade>> = Vec::new();
    let mut tables = plan.tables.clone();
    for (t, _) in plan.digest.iter().chain(&plan.no_digest) {
        if !tables.contains(t) {
            tables.push(t.clone());
        }
    }
    for name in &tables {
        let mut shape = capture::inspect_for_capture(conn, schema, name).await?;
        for (t, c) in plan.digest.iter().filter(|(t, _)| t == name) {
            set_digest(&mut shape, t, c, true)?;
        }
        for (t, c) in plan.no_digest.iter().filter(|(t, _)| t == name) {
            set_digest(&mut shape, t, c, false)?;
        }
        capture::triggers::generate(&shape)?;
        cascades.push(capture::cascades(conn, schema, name).await?);
        shapes.push(shape);
    }
    // How each table is captured: as asked, else as registered, else by triggers.
    let registered = registered_or_none(conn).await?;
    let mut targets: Vec<Target> = Vec::new();
    for shape in &shapes {
        let prev = registered.iter().find(|r| r.table == shape.name);
        let source = plan
            .capture
            .or(prev.and_then(|r| r.source))
            .unwrap_or(registry::Source::Trigger);
        let prev_spec = prev.and_then(|r| r.poll_spec());
        let poll = if source == registry::Source::Poll {
            let mut spec = poll::PollSpec {
                poll_column: plan
                    .poll_column
                    .clone()
                    .or_else(|| prev_spec.as_ref().map(|s| s.poll_column.clone()))
                    .unwrap_or_else(|| poll::DEFAULT_COLUMN.to_string()),
                poll_column_trusted: plan.poll_column_trusted
                    || (plan.poll_column.is_none()
                        && prev_spec.as_ref().is_some_and(|s| s.poll_column_trusted)),
            };
            let check = poll::check(conn, schema, shape, &spec, plan.create_index).await?;
            spec.poll_column = check.column.clone();
            Some((spec, check))
        } else {
            if plan.poll_column.is_some() || plan.poll_column_trusted || plan.create_index {
                return Err(MigrateError::PollOptions(shape.name.clone()));
            }
            None
        };
        targets.push(Target {
            source,
            previous: prev.and_then(|r| r.source),
            prev_spec,
            poll,
        });
    }
    let needs_triggers = targets
        .iter()
        .any(|t| t.source == registry::Source::Trigger);
    let mut binlog_server = None;
    for (shape, target) in shapes.iter().zip(&targets) {
        if target.source != registry::Source::Binlog {
            continue;
        }
        if binlog_server.is_none() {
            binlog_server = Some(capture::binlog::check_server(conn).await?);
        }
        // From triggers or polling: switched under one table lock (migrate::switch).
        // Refuses any column the binlog renderer cannot render like the triggers.
        capture::binlog::load_table(conn, schema, &shape.name).await?;
    }
    if !plan.dry_run && needs_triggers {
        settings.check_triggers()?;
    }
    for name in &plan.uncapture {
        capture::check_name(name)?;
        if capture::inspect(conn, schema, name).await?.is_none() {
            return Err(CaptureError::UnknownTable {
                table: name.clone(),
                schema: schema.to_string(),
            }
            .into());
        }
    }
    Ok(Prepared {
        wait,
        shapes,
        cascades,
        registered,
        targets,
        binlog_server,
    })
}

/// How one named table ends up captured.
pub(super) struct Target {
    pub source: registry::Source,
    /// Its source before this run (None: not registered).
    pub previous: Option<registry::Source>,
    pub prev_spec: Option<poll::PollSpec>,
    /// Poll spec and checks, for a polled table.
    pub poll: Option<(poll::PollSpec, poll::PollCheck)>,
}

/// The capture registry, or nothing before migration V5 (a dry run on a fresh database).
async fn registered_or_none(
    conn: &mut MySqlConnection,
) -> Result<Vec<registry::Registered>, MigrateError> {
    match registry::list(conn).await {
        Ok(r) => Ok(r),
        Err(CaptureError::Db {
            source: sqlx::Error::Database(d),
            ..
        }) if d.code().as_deref() == Some("42S02") => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Turn the digest option of `table`.`column` on or off in the shape to be generated.
fn set_digest(
    shape: &mut TableShape,
    table: &str,
    column: &str,
    on: bool,
) -> Result<(), CaptureError> {
    let Some(c) = shape.columns.iter_mut().find(|c| c.name == column) else {
        return Err(CaptureError::DigestUnknownColumn {
            table: table.to_string(),
            column: column.to_string(),
        });
    };
    if on && (!capture::render::Kind::of(c).digestible() || c.is_tracking()) {
        return Err(CaptureError::DigestType {
            table: table.to_string(),
            column: column.to_string(),
            column_type: c.column_type.clone(),
        });
    }
    c.digest = on;
    Ok(())
}

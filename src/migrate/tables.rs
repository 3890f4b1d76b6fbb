//! Step 5 of a migrate: capture each named table as decided in step 1 (triggers,
//! polling, the binary log, or a switch between them), recording what was (or, in a
//! dry run, would be) done.

use sqlx::mysql::MySqlConnection;

use super::prepare::Prepared;
use super::switch::{
    apply_poll, binlog_lock_statement, switch_to_binlog, switch_to_trigger, FromSource,
};
use super::triggers::{add_tracking_columns, apply_capture};
use super::{MigrateError, MigratePlan, MigrateReport, TableAction, TableChange};
use crate::capture::{self, poll, registry, ExistingTrigger, TriggerState};

/// Capture every table of `p` (`existing`: the schema's triggers of ours right now).
pub(super) async fn capture_tables(
    conn: &mut MySqlConnection,
    schema: &str,
    plan: &MigratePlan,
    p: &Prepared,
    existing: &[ExistingTrigger],
    report: &mut MigrateReport,
) -> Result<(), MigrateError> {
    let wait = p.wait;
    let binlog_server = &p.binlog_server;
    for ((shape, cascades), target) in p.shapes.iter().zip(&p.cascades).zip(&p.targets) {
        let cp = capture::plan_capture(shape, existing)?;
        let action = if target.source == registry::Source::Binlog {
            let had_triggers = existing.iter().any(|t| t.table == shape.name);
            let polled = target.previous == Some(registry::Source::Poll);
            let from = if polled {
                let column = target
                    .prev_spec
                    .as_ref()
                    .map_or(poll::DEFAULT_COLUMN, |s| s.poll_column.as_str());
                Some(FromSource::Poll(column))
            } else if had_triggers {
                Some(FromSource::Triggers(existing))
            } else {
                None
            };
            let switching = from.is_some();
            let engine = binlog_server
                .as_ref()
                .map_or(capture::introspect::Engine::MySql, |b| b.engine);
            if !plan.dry_run {
                add_tracking_columns(conn, schema, &cp, wait).await?;
                if let Some(from) = from {
                    switch_to_binlog(conn, schema, shape, from, engine, wait).await?;
                } else {
                    registry::register(conn, &shape.name, registry::Source::Binlog, None).await?;
                    // After the registration: the reader starts past it (a reader already
                    // running sees the registration in the log and picks the table up
                    // there).
                    let at = capture::binlog::server_position(conn, engine).await?;
                    capture::binlog::checkpoint_start(conn, &at).await?;
                }
            }
            report.statements.extend(cp.alter.iter().cloned());
            if switching {
                report
                    .statements
                    .push(binlog_lock_statement(&shape.name, polled));
                report
                    .statements
                    .extend(capture::plan_uncapture(&shape.name, existing));
                report.statements.push(format!(
                    "-- read `{}` from the binary log from now on: entry in certyo_capture, checkpoint in certyo_capture_binlog",
                    shape.name
                ));
                report
                    .statements
                    .push(capture::unlock_statement().to_string());
                TableAction::SwitchedToBinlog
            } else if target.previous == Some(registry::Source::Binlog) && cp.alter.is_none() {
                TableAction::BinlogUnchanged
            } else {
                report.statements.push(format!(
                    "-- read `{}` from the binary log from now on: entry in certyo_capture, checkpoint in certyo_capture_binlog",
                    shape.name
                ));
                TableAction::BinlogInstalled
            }
        } else if let Some((spec, check)) = &target.poll {
            let had_triggers = existing.iter().any(|t| t.table == shape.name);
            if !plan.dry_run {
                apply_poll(conn, schema, shape, &cp, spec, check, existing, wait).await?;
                registry::register(
                    conn,
                    &shape.name,
                    registry::Source::Poll,
                    Some(&spec.to_options()),
                )
                .await?;
            }
            report.statements.extend(cp.alter.iter().cloned());
            report.statements.extend(check.create_index.iter().cloned());
            if had_triggers {
                report
                    .statements
                    .push(poll::lock_statement(&shape.name).to_string());
                report
                    .statements
                    .extend(capture::plan_uncapture(&shape.name, existing));
                report
                    .statements
                    .push(capture::unlock_statement().to_string());
                TableAction::SwitchedToPoll
            } else if target.previous == Some(registry::Source::Poll)
                && target.prev_spec.as_ref() == Some(spec)
                && cp.alter.is_none()
                && check.create_index.is_none()
            {
                TableAction::PollUnchanged
            } else {
                if !plan.dry_run || target.previous != Some(registry::Source::Poll) {
                    report.statements.push(format!(
                        "-- poll `{}` by `{}` from now on: checkpoint in certyo_capture_poll, entry in certyo_capture",
                        shape.name, spec.poll_column
                    ));
                }
                TableAction::PollInstalled
            }
        } else if target.previous == Some(registry::Source::Poll) {
            if !plan.dry_run {
                switch_to_trigger(conn, schema, shape, &cp, existing, target, wait).await?;
                registry::register(conn, &shape.name, registry::Source::Trigger, None).await?;
            }
            report.statements.extend(cp.statements().cloned());
            TableAction::SwitchedToTrigger
        } else {
            if !plan.dry_run {
                apply_capture(conn, schema, &cp, existing, wait).await?;
                registry::register(conn, &shape.name, registry::Source::Trigger, None).await?;
            }
            report.statements.extend(cp.statements().cloned());
            match cp.triggers {
                TriggerState::Current => TableAction::Unchanged,
                TriggerState::Drifted | TriggerState::Unrenderable => TableAction::Regenerated,
                TriggerState::Missing => TableAction::Installed,
            }
        };
        report.tables.push(TableChange {
            table: cp.table.clone(),
            action,
            poll_column: target.poll.as_ref().map(|(s, _)| s.poll_column.clone()),
            columns_added: cp.columns_added.clone(),
            cascades: cascades.clone(),
            digest_columns: shape
                .columns
                .iter()
                .filter(|c| c.digest)
                .map(|c| c.name.clone())
                .collect(),
        });
    }
    Ok(())
}

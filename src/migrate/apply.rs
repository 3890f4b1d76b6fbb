//! A migrate's steps in order, once the named lock is held (or for a dry run): check
//! (`prepare`), the queue schema, adoption into the capture registry, digest options,
//! capture (`tables`), uncapture.

use sqlx::mysql::MySqlConnection;

use super::exec::exec;
use super::prepare::prepare;
use super::tables::capture_tables;
use super::{MigrateError, MigratePlan, MigrateReport, TableAction, TableChange};
use crate::capture::template::{fill, statement};
use crate::capture::{self, poll, registry, ExistingTrigger};
use crate::schema;

/// Every step of a migrate on `conn`, whose caller holds the migrate lock (unless
/// `plan.dry_run`).
pub(super) async fn migrate_locked(
    conn: &mut MySqlConnection,
    schema: &str,
    plan: &MigratePlan,
) -> Result<MigrateReport, MigrateError> {
    // 1. Validate every table and the server's settings before changing anything.
    let prepared = prepare(conn, schema, plan).await?;
    let mut report = MigrateReport {
        dry_run: plan.dry_run,
        ..MigrateReport::default()
    };

    // 2. The queue schema, in version order.
    let mut pending = schema::pending(conn).await.map_err(|e| MigrateError::Db {
        doing: "reading the queue schema history".into(),
        message: e.to_string(),
        code: None,
    })?;
    pending.sort_by_key(|m| m.version);
    if !pending.is_empty() {
        report.schema_migrations = pending.iter().map(|m| m.name.clone()).collect();
        // Printed with refinery's bookkeeping, so a pasted dry run equals a migrate.
        report
            .statements
            .push(schema::history_create_sql().to_string());
        for m in &pending {
            report.statements.push(m.sql.trim().to_string());
            report.statements.push(m.record_sql.clone());
        }
        if !plan.dry_run {
            let applied = schema::apply(conn).await?;
            report.schema_migrations = applied;
        }
    }

    // 3. Tables captured before the registry existed are adopted into it.
    let adopted = capture::existing_triggers(conn, schema).await?;
    if !plan.dry_run {
        let registered: Vec<String> = registry::list(conn)
            .await?
            .into_iter()
            .map(|r| r.table)
            .collect();
        for t in &adopted {
            if !registered.contains(&t.table) && !plan.uncapture.contains(&t.table) {
                registry::register(conn, &t.table, registry::Source::Trigger, None).await?;
            }
        }
    }

    // 4. Digest options, remembered for later runs.
    for shape in &prepared.shapes {
        let stored = capture::introspect::digest_columns(conn, &shape.name).await?;
        for c in &shape.columns {
            let file = match (c.digest, stored.contains(&c.name)) {
                (true, false) => include_str!("../../sql/capture_digest_add.sql"),
                (false, true) => include_str!("../../sql/capture_digest_remove.sql"),
                _ => continue,
            };
            let sql = fill(
                statement(file),
                &[("table_name", &shape.name), ("column_name", &c.name)],
            );
            if !plan.dry_run {
                exec(
                    conn,
                    schema,
                    &sql,
                    format!("recording the digest option of `{}`", shape.name),
                )
                .await?;
            }
            report.statements.push(sql);
        }
    }

    // 5. Capture.
    let existing = capture::existing_triggers(conn, schema).await?;
    capture_tables(conn, schema, plan, &prepared, &existing, &mut report).await?;

    // 6. Uncapture.
    uncapture(
        conn,
        schema,
        plan,
        &prepared.registered,
        &existing,
        &mut report,
    )
    .await?;
    Ok(report)
}

/// Step 6: drop the triggers (or stop the polling, or the log reading) of every
/// `--uncapture` table; data, tracking columns and queue rows stay.
async fn uncapture(
    conn: &mut MySqlConnection,
    schema: &str,
    plan: &MigratePlan,
    registered: &[registry::Registered],
    existing: &[ExistingTrigger],
    report: &mut MigrateReport,
) -> Result<(), MigrateError> {
    for name in &plan.uncapture {
        let drops = capture::plan_uncapture(name, existing);
        let polled = registered
            .iter()
            .any(|r| &r.table == name && r.source == Some(registry::Source::Poll));
        if !plan.dry_run && polled {
            poll::forget(conn, name, true).await?;
        }
        let binlogged = registered
            .iter()
            .any(|r| &r.table == name && r.source == Some(registry::Source::Binlog));
        if !plan.dry_run {
            for sql in &drops {
                exec(
                    conn,
                    schema,
                    sql,
                    format!("dropping the triggers of `{name}`"),
                )
                .await?;
            }
            registry::unregister(conn, name).await?;
            if binlogged {
                capture::binlog::forget_if_unused(conn).await?;
            }
        }
        report.tables.push(TableChange {
            table: name.clone(),
            action: if drops.is_empty() && !polled && !binlogged {
                TableAction::NotCaptured
            } else {
                TableAction::Uncaptured
            },
            columns_added: Vec::new(),
            cascades: Vec::new(),
            digest_columns: Vec::new(),
            poll_column: None,
        });
        report.statements.extend(drops);
    }
    Ok(())
}

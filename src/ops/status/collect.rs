//! Gathering the status report: the queue figures, then per table its triggers, capture
//! source, queue share, anchoring counts and the problems found.

use std::collections::BTreeSet;

use sqlx::mysql::MySqlPool;

use super::anchor::anchor_counts;
use super::figures::{count, delivered, queue_counts};
use super::{is_missing_table, PollStatus, Status, StatusError, TableStatus, TriggerHealth};
use crate::capture::{self, triggers, TriggerState};
use crate::error::DbError;

/// A kept write-back older than this makes the status unhealthy.
const WRITEBACK_STUCK_SECS: u64 = 300;

/// Gather the report for `schema`; `only` limits it to those tables (each must exist).
pub async fn collect(
    pool: &MySqlPool,
    schema: &str,
    only: &[String],
) -> Result<Status, StatusError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(DbError::query("connecting for status"))?;
    let (mut queue, by_table) = match queue_counts(&mut conn).await {
        Err(DbError::Query { source, .. }) if is_missing_table(&source) => {
            return Err(StatusError::NoQueue(schema.to_string()))
        }
        other => other?,
    };
    (queue.delivered_last_1h, queue.delivered_last_24h) = delivered(&mut conn).await?;
    match crate::writeback::due_count(&mut conn).await {
        Ok((kept, oldest)) => {
            queue.writebacks_kept = count(kept);
            queue.oldest_writeback_kept_seconds = count(oldest);
        }
        // A database migrated before certyo_writeback_due existed has none kept.
        Err(e) if is_missing_table(&e) => {}
        Err(e) => return Err(DbError::query("counting kept write-backs")(e).into()),
    }
    let ours = capture::existing_triggers(&mut conn, schema).await?;
    let tracked: Vec<String> =
        sqlx::query_scalar(include_str!("../../../sql/status_tracked_tables.sql"))
            .bind(schema)
            .fetch_all(&mut *conn)
            .await
            .map_err(DbError::query("listing tables with tracking columns"))?;

    let registered = capture::registry::list_or_empty(&mut conn).await?;
    let trigger_registered: Vec<String> = registered
        .iter()
        .filter(|r| r.source == Some(capture::registry::Source::Trigger))
        .map(|r| r.table.clone())
        .collect();
    // Read only where a table is polled: the work user of a trigger-only database has no
    // grant on the poller's tables.
    let checkpoints = if registered.iter().any(|r| r.poll_spec().is_some()) {
        capture::poll::checkpoints(&mut conn).await?
    } else {
        Vec::new()
    };
    let names: BTreeSet<String> = if only.is_empty() {
        ours.iter()
            .map(|t| t.table.clone())
            .chain(registered.iter().map(|r| r.table.clone()))
            .chain(tracked.iter().cloned())
            .chain(by_table.keys().cloned())
            .collect()
    } else {
        for name in only {
            capture::check_name(name)?;
            if capture::inspect(&mut conn, schema, name).await?.is_none() {
                return Err(StatusError::UnknownTable {
                    table: name.clone(),
                    schema: schema.to_string(),
                });
            }
        }
        only.iter().cloned().collect()
    };

    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for name in names {
        let visible: Vec<&capture::ExistingTrigger> =
            ours.iter().filter(|t| t.table == name).collect();
        let mut present: Vec<String> = visible.iter().map(|t| t.name.clone()).collect();
        // A registered table whose triggers this user cannot see (MySQL hides them
        // without the TRIGGER privilege): ask for each by name.
        let probed = visible.is_empty() && trigger_registered.contains(&name);
        if probed {
            for trigger in triggers::trigger_names(&name) {
                if capture::trigger_exists(&mut conn, &trigger).await? {
                    present.push(trigger);
                }
            }
        }
        let registered_here = trigger_registered.contains(&name);
        let missing: Vec<String> = if present.is_empty() && !registered_here {
            Vec::new()
        } else {
            triggers::trigger_names(&name)
                .into_iter()
                .filter(|n| !present.contains(n))
                .collect()
        };
        // Bodies this user may not read: NULL on MariaDB, the rows hidden on MySQL.
        let bodies_hidden = probed || visible.iter().any(|t| t.body.is_empty());
        let health = if present.is_empty() && !registered_here {
            TriggerHealth::NotCaptured
        } else if !missing.is_empty() {
            TriggerHealth::Missing
        } else if bodies_hidden {
            TriggerHealth::Unverified
        } else {
            match capture::trigger_state(&mut conn, schema, &name).await? {
                TriggerState::Current => TriggerHealth::Current,
                TriggerState::Drifted => TriggerHealth::Drifted,
                TriggerState::Missing => TriggerHealth::NotCaptured,
                TriggerState::Unrenderable => TriggerHealth::Unrenderable,
            }
        };
        let entry = registered.iter().find(|r| r.table == name);
        let polled = entry.and_then(|r| r.poll_spec());
        // Captured without triggers (poll or binlog): no triggers is the healthy state.
        let triggerless = polled.is_some()
            || entry.is_some_and(|r| r.source == Some(capture::registry::Source::Binlog));
        let poll = match &polled {
            None => None,
            Some(spec) => {
                let ck = checkpoints.iter().find(|c| c.table == name);
                if ck.is_none() {
                    problems.push(format!(
                        "table `{name}` is captured by polling but has no checkpoint: run `certyo-queue migrate --table {name}` again"
                    ));
                }
                Some(PollStatus {
                    column: spec.poll_column.clone(),
                    high_stamp: ck
                        .and_then(|c| c.high)
                        .map(|h| h.format("%Y-%m-%d %H:%M:%S%.6f").to_string()),
                    rows_enqueued: ck.map_or(0, |c| c.rows_enqueued),
                    polled_at: ck
                        .and_then(|c| c.polled_at)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
                    deletes_captured: false,
                })
            }
        };
        match health {
            TriggerHealth::Drifted => problems.push(format!(
                "table `{name}`: capture triggers are outdated (the table changed, e.g. a column was added): run `certyo-queue migrate --table {name}`"
            )),
            TriggerHealth::Missing => problems.push(format!(
                "table `{name}`: capture triggers missing ({}): changes are not captured; run `certyo-queue migrate --table {name}`",
                missing.join(", ")
            )),
            TriggerHealth::Unrenderable => {
                let why = match capture::inspect(&mut conn, schema, &name).await? {
                    Some(shape) => match triggers::generate(&shape) {
                        Err(e) => e.to_string(),
                        Ok(_) => "the table changed".to_string(),
                    },
                    None => "the table is gone".to_string(),
                };
                problems.push(format!(
                    "table `{name}`: its capture triggers cannot render its current columns, so `migrate` cannot refresh them: {why}"
                ))
            }
            TriggerHealth::NotCaptured if triggerless => {}
            TriggerHealth::NotCaptured if !only.is_empty() => problems.push(format!(
                "table `{name}` is not captured: run `certyo-queue migrate --table {name}`"
            )),
            _ => {}
        }
        let anchor = if tracked.contains(&name) && capture::check_name(&name).is_ok() {
            Some(anchor_counts(&mut conn, &name).await?)
        } else {
            None
        };
        if let Some(altered) = anchor.map(|a| a.altered).filter(|n| *n > 0) {
            problems.push(format!(
                "table `{name}`: {altered} row(s) marked Altered by `certyo-queue audit --mark`: changed behind capture's back since their anchored version (see `certyo-queue audit --table {name}`; a change through capture, or `backfill --restart`, anchors their current content)"
            ));
        }
        let cascading_foreign_keys = if health == TriggerHealth::NotCaptured && !triggerless {
            Vec::new()
        } else {
            capture::cascades(&mut conn, schema, &name)
                .await?
                .iter()
                .map(|c| c.describe())
                .collect()
        };
        tables.push(TableStatus {
            queue: by_table.get(&name).cloned().unwrap_or_default(),
            table: name,
            triggers: health,
            missing_triggers: missing,
            cascading_foreign_keys,
            anchor,
            source: entry.map(|r| r.source_name.clone()),
            poll,
        });
    }
    if queue.oldest_writeback_kept_seconds > WRITEBACK_STUCK_SECS {
        problems.push(format!(
            "{} write-back(s) kept for a retry, the oldest for {}s: their source rows are held by a long transaction of the application (find it in information_schema.INNODB_TRX); they land once it ends",
            queue.writebacks_kept, queue.oldest_writeback_kept_seconds
        ));
    }
    if queue.dead > 0 {
        problems.push(format!(
            "{} dead letter(s): inspect with `certyo-queue dead list`, replay with `certyo-queue dead requeue`",
            queue.dead
        ));
    }
    let binlog = if registered
        .iter()
        .any(|r| r.source == Some(capture::registry::Source::Binlog))
    {
        crate::ops::binlog_status::read(&mut conn, &mut problems).await?
    } else {
        None
    };
    Ok(Status {
        database: schema.to_string(),
        healthy: problems.is_empty(),
        queue,
        tables,
        problems,
        binlog,
    })
}

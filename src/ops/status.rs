//! `certyo-queue status`: one look at the queue and the captured tables.
//!
//! Reports pending / in flight / retrying / dead queue rows, deliveries in the last hour
//! and 24 hours, the age of the oldest undelivered row, and per table: the state of its
//! capture triggers, its in-flight / retrying / dead queue rows and its rows by
//! anchoring status. (No per-table pending count: it would read every queued row.) Text for people, `--json` (one
//! object, field names documented on [`Status`]) for scripts.
//!
//! Invariants:
//! - Read-only, no locks: every query is a plain consistent read served by an index
//!   (named in each `sql/status_*.sql`), so status is cheap on a big queue.
//! - `healthy` is false exactly when `problems` is non-empty; the exit code is then
//!   [`EXIT_ATTENTION`] (2). An error (database unreachable, unknown table) exits 1.
//! - Tables listed: those with capture triggers of ours, those with tracking columns
//!   (captured once, maybe uncaptured since: shown as `not_captured`, not a problem),
//!   and those with undelivered queue rows; or exactly the `--table` ones.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;
use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::Row;

use crate::capture::{self, triggers, CaptureError, TriggerState};
use crate::cli::StatusArgs;
use crate::config::DbConfig;
use crate::error::DbError;

/// Exit code of a command that ran but found something that needs attention.
pub const EXIT_ATTENTION: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("table `{table}` does not exist in database `{schema}`")]
    UnknownTable { table: String, schema: String },
    #[error("no certyo_queue table in database `{0}`: run `certyo-queue migrate` first")]
    NoQueue(String),
}

/// The whole report; `--json` prints exactly this.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The database (schema) looked at.
    pub database: String,
    /// False when `problems` is not empty (exit code 2).
    pub healthy: bool,
    pub queue: QueueStatus,
    pub tables: Vec<TableStatus>,
    /// One sentence per thing that needs attention, with what to do.
    pub problems: Vec<String>,
    /// The binlog reader's checkpoint and lag, where a table is captured from the
    /// binary log (null otherwise).
    pub binlog: Option<crate::ops::binlog_status::BinlogStatus>,
}

/// The queue as a whole.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueStatus {
    /// Waiting for delivery, not under a live lease (includes `retrying`).
    pub pending: u64,
    /// Claimed by a worker whose lease has not expired.
    pub in_flight: u64,
    /// Pending rows waiting out a retry delay after a failed attempt (once the delay has
    /// passed they are plain pending rows again).
    pub retrying: u64,
    /// Dead letters (see `certyo-queue dead list`).
    pub dead: u64,
    /// Delivered within the last hour.
    pub delivered_last_1h: u64,
    /// Delivered within the last 24 hours (still in the queue: exact while retention >= 24h).
    pub delivered_last_24h: u64,
    /// Age of the oldest row not yet delivered (pending or in flight); null when none.
    pub oldest_pending_age_seconds: Option<f64>,
    /// Write-backs of delivered rows kept for a retry because the application held
    /// their source rows (certyo_writeback_due), and the age of the oldest.
    pub writebacks_kept: u64,
    pub oldest_writeback_kept_seconds: u64,
}

/// A kept write-back older than this makes the status unhealthy.
const WRITEBACK_STUCK_SECS: u64 = 300;

/// One table.
#[derive(Debug, Clone, Serialize)]
pub struct TableStatus {
    pub table: String,
    /// `current`, `drifted` (bodies outdated, e.g. a column was added), `missing` (some
    /// of the four triggers gone, or all of a registered table's), `unverified` (there,
    /// bodies unreadable without TRIGGER), `unrenderable` or `not_captured` (none).
    pub triggers: TriggerHealth,
    /// Names of our triggers that should exist and don't.
    pub missing_triggers: Vec<String>,
    /// Foreign keys whose ON UPDATE / ON DELETE actions change this table's rows
    /// without firing its triggers (those changes are not captured), e.g.
    /// "`fk_line_order` (ON DELETE CASCADE from `orders`)".
    pub cascading_foreign_keys: Vec<String>,
    /// Undelivered queue rows of this table.
    pub queue: TableQueue,
    /// Rows by `certyo_anchor_status`; null when the table has no tracking columns.
    pub anchor: Option<AnchorCounts>,
    /// How its changes reach the queue: `trigger`, `poll`, or null (not registered).
    pub source: Option<String>,
    /// For a table captured by polling: its column and checkpoint.
    pub poll: Option<PollStatus>,
}

/// A polled table's checkpoint. Polling sees inserts and updates, never deletes.
#[derive(Debug, Clone, Serialize)]
pub struct PollStatus {
    pub column: String,
    /// Newest poll-column value the poller has passed (UTC for TIMESTAMP), or null.
    pub high_stamp: Option<String>,
    /// Row versions the poller has enqueued.
    pub rows_enqueued: u64,
    /// When the poller last ran a page on it, or null.
    pub polled_at: Option<String>,
    /// Always false: polling cannot see deletes.
    pub deletes_captured: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerHealth {
    Current,
    Drifted,
    Missing,
    NotCaptured,
    /// Our triggers are there, but the table's current columns cannot be rendered.
    Unrenderable,
    /// Our four triggers are there, but this user may not read their bodies (no
    /// TRIGGER privilege), so whether they are current is not known.
    Unverified,
}

impl TriggerHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerHealth::Current => "current",
            TriggerHealth::Drifted => "drifted",
            TriggerHealth::Missing => "missing",
            TriggerHealth::NotCaptured => "not_captured",
            TriggerHealth::Unrenderable => "unrenderable",
            TriggerHealth::Unverified => "unverified",
        }
    }
}

/// A table's share of the queue: the figures an index can give cheaply (a per-table
/// pending count would have to read every undelivered row).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableQueue {
    pub in_flight: u64,
    pub retrying: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AnchorCounts {
    pub pending: u64,
    pub anchored: u64,
    pub failed: u64,
    /// Marked by `certyo-queue audit --mark`: changed behind capture's back since the
    /// version that was anchored.
    pub altered: u64,
}

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
        sqlx::query_scalar(include_str!("../../sql/status_tracked_tables.sql"))
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

/// Queue totals plus the per-table figures that are cheap to get (see the SQL files).
async fn queue_counts(
    conn: &mut MySqlConnection,
) -> Result<(QueueStatus, BTreeMap<String, TableQueue>), DbError> {
    let decode = |e| DbError::query("decoding queue counts")(e);
    let row = sqlx::query(include_str!("../../sql/status_queue_counts.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("reading queue counts"))?;
    let undelivered: i64 = row.try_get(0).map_err(decode)?;
    let dead: i64 = row.try_get(1).map_err(decode)?;
    let oldest_id: Option<i64> = row.try_get(2).map_err(decode)?;

    let mut tables: BTreeMap<String, TableQueue> = BTreeMap::new();
    let rows = sqlx::query(include_str!("../../sql/status_not_ready.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("reading leased and retrying rows"))?;
    for row in rows {
        let t = tables.entry(row.try_get(0).map_err(decode)?).or_default();
        t.in_flight = count(row.try_get(1).map_err(decode)?);
        t.retrying = count(row.try_get(2).map_err(decode)?);
    }
    let rows = sqlx::query(include_str!("../../sql/status_dead_by_table.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("counting dead letters"))?;
    for row in rows {
        let t = tables.entry(row.try_get(0).map_err(decode)?).or_default();
        t.dead = count(row.try_get(1).map_err(decode)?);
    }
    let oldest_us: Option<i64> = match oldest_id {
        None => None,
        Some(id) => sqlx::query_scalar(include_str!("../../sql/status_row_age.sql"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(DbError::query("reading the oldest row's age"))?
            .flatten(),
    };
    let in_flight: u64 = tables.values().map(|t| t.in_flight).sum();
    let queue = QueueStatus {
        pending: count(undelivered)
            .saturating_sub(count(dead))
            .saturating_sub(in_flight),
        in_flight,
        retrying: tables.values().map(|t| t.retrying).sum(),
        dead: count(dead),
        oldest_pending_age_seconds: oldest_us.map(|us| us.max(0) as f64 / 1e6),
        ..QueueStatus::default()
    };
    Ok((queue, tables))
}

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

async fn delivered(conn: &mut MySqlConnection) -> Result<(u64, u64), DbError> {
    let row = sqlx::query(include_str!("../../sql/status_delivered.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(DbError::query("counting recent deliveries"))?;
    let h1: i64 = row
        .try_get(0)
        .map_err(DbError::query("decoding delivery counts"))?;
    let h24: i64 = row
        .try_get(1)
        .map_err(DbError::query("decoding delivery counts"))?;
    Ok((h1.max(0) as u64, h24.max(0) as u64))
}

async fn anchor_counts(conn: &mut MySqlConnection, table: &str) -> Result<AnchorCounts, DbError> {
    let sql = capture::template::fill(
        include_str!("../../sql/status_anchor_counts.sql"),
        &[("table", &capture::template::quote_ident(table))],
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("counting rows by anchoring status"))?;
    let mut counts = AnchorCounts::default();
    for row in rows {
        let status: String = row
            .try_get(0)
            .map_err(DbError::query("decoding anchoring counts"))?;
        let n: i64 = row
            .try_get(1)
            .map_err(DbError::query("decoding anchoring counts"))?;
        let n = n.max(0) as u64;
        match status.as_str() {
            "Pending" => counts.pending = n,
            "Anchored" => counts.anchored = n,
            "Failed" => counts.failed = n,
            "Altered" => counts.altered = n,
            _ => {}
        }
    }
    Ok(counts)
}

/// MySQL's "table doesn't exist" (1146, SQLSTATE 42S02).
pub(crate) fn is_missing_table(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42S02"))
}

fn age(seconds: Option<f64>) -> String {
    match seconds {
        None => "-".to_string(),
        Some(s) => humantime::format_duration(Duration::from_secs(s as u64)).to_string(),
    }
}

/// The text form of the report.
pub fn render_text(s: &Status) -> String {
    let mut out = String::new();
    let verdict = if s.healthy {
        "healthy"
    } else {
        "needs attention"
    };
    let _ = writeln!(
        out,
        "certyo-queue status of database `{}`: {verdict}",
        s.database
    );
    let q = &s.queue;
    let _ = writeln!(out);
    let _ = writeln!(out, "queue");
    let _ = writeln!(
        out,
        "  pending          {:>10}  (retrying {})",
        q.pending, q.retrying
    );
    let _ = writeln!(out, "  in flight        {:>10}", q.in_flight);
    let _ = writeln!(out, "  dead             {:>10}", q.dead);
    let _ = writeln!(
        out,
        "  write-backs kept {:>10}  (oldest {}s)",
        q.writebacks_kept, q.oldest_writeback_kept_seconds
    );
    let _ = writeln!(out, "  delivered 1h     {:>10}", q.delivered_last_1h);
    let _ = writeln!(out, "  delivered 24h    {:>10}", q.delivered_last_24h);
    let _ = writeln!(
        out,
        "  oldest pending   {:>10}",
        age(q.oldest_pending_age_seconds)
    );
    let _ = writeln!(out);
    if s.tables.is_empty() {
        let _ = writeln!(
            out,
            "no captured tables (capture one with `certyo-queue migrate --table T`)"
        );
    } else {
        let width = s
            .tables
            .iter()
            .map(|t| t.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "{:<width$}  {:<8} {:<12} {:>9} {:>9} {:>6} {:>9} {:>9} {:>7} {:>7}",
            "table",
            "source",
            "triggers",
            "in flight",
            "retrying",
            "dead",
            "Pending",
            "Anchored",
            "Failed",
            "Altered"
        );
        for t in &s.tables {
            let (p, a, f, x) = match t.anchor {
                Some(c) => (
                    c.pending.to_string(),
                    c.anchored.to_string(),
                    c.failed.to_string(),
                    c.altered.to_string(),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<8} {:<12} {:>9} {:>9} {:>6} {:>9} {:>9} {:>7} {:>7}",
                t.table,
                t.source.as_deref().unwrap_or("-"),
                if t.poll.is_some() && t.triggers == TriggerHealth::NotCaptured {
                    "-"
                } else {
                    t.triggers.as_str()
                },
                t.queue.in_flight,
                t.queue.retrying,
                t.queue.dead,
                p,
                a,
                f,
                x
            );
        }
        let _ = writeln!(
            out,
            "(in flight / retrying / dead: queue rows; Pending / Anchored / Failed / Altered: rows by certyo_anchor_status)"
        );
        for t in &s.tables {
            if t.triggers == TriggerHealth::Unverified {
                let _ = writeln!(
                    out,
                    "note: `{}`: its capture triggers exist, but this user may not read their bodies (no TRIGGER privilege), so drift is not checked; run status as the migrate user for that",
                    t.table
                );
            }
            if let Some(p) = &t.poll {
                let _ = writeln!(
                    out,
                    "note: `{}` is captured by polling `{}` (inserts and updates only: deletes are NOT captured); newest stamp passed {}, {} versions enqueued",
                    t.table,
                    p.column,
                    p.high_stamp.as_deref().unwrap_or("none yet"),
                    p.rows_enqueued
                );
            }
            for fk in &t.cascading_foreign_keys {
                let _ = writeln!(
                    out,
                    "note: `{}`: foreign key {fk} changes rows without firing triggers; those changes are not captured",
                    t.table
                );
            }
        }
    }
    if let Some(b) = &s.binlog {
        let _ = writeln!(
            out,
            "binlog reader: checkpoint {}, {} rows enqueued, lag {} s / {} bytes (moved {})",
            b.position,
            b.rows_enqueued,
            b.lag_seconds.map_or("?".into(), |l| format!("{l:.1}")),
            b.lag_bytes.map_or("?".into(), |l| l.to_string()),
            b.updated_at
        );
    }
    if !s.problems.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "problems");
        for p in &s.problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    out
}

/// A change undelivered for longer than `max` is a problem: delivery is stopped or far
/// behind.
pub fn limit_pending_age(status: &mut Status, max: std::time::Duration) {
    if let Some(age) = status.queue.oldest_pending_age_seconds {
        if age > max.as_secs_f64() {
            status.problems.push(format!(
                "the oldest undelivered change is {age:.0}s old (over --max-pending-age {}s): is `work` running, and can it reach Certyo? See its log and /readyz",
                max.as_secs()
            ));
            status.healthy = false;
        }
    }
}

/// `certyo-queue status [--json] [--table T]…`: exit 0 healthy, 2 needs attention.
pub async fn run_cli(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 1).await?;
    let status = collect(&pool, &schema, &args.tables).await;
    pool.close().await;
    let mut status = status?;
    limit_pending_age(&mut status, args.max_pending_age);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render_text(&status));
    }
    Ok(if status.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ATTENTION)
    })
}

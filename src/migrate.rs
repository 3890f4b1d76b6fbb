//! The `migrate` command: apply the queue schema, then install (or refresh, or remove)
//! the capture triggers and tracking columns of the named tables.
//!
//! Sequence, on one connection, under a server-wide named lock that includes the schema
//! (two migrates of one database queue up, different databases don't block each other):
//! 1. check every named table (exists, base table, primary key, plain names, every
//!    column renderable with the digest options asked for, a key that fits record_id)
//!    — any refusal happens here, before anything changes;
//! 2. apply pending queue-schema migrations (refinery), in version order;
//! 3. record `--digest-column` / `--no-digest-column` in `certyo_capture_digest` (V6),
//!    where later runs, status and backfill find them;
//! 4. per table: one ALTER adding missing tracking columns, then, if the triggers are
//!    missing or differ from what would be generated now, replace all of them under
//!    `LOCK TABLES` (no capture gap), created under fixed session settings;
//! 5. `--uncapture`: drop the table's triggers, keep data, tracking columns, queue rows.
//!
//! Foreign keys whose cascading actions change a captured table bypass its triggers;
//! the report lists them per table (`TableChange::cascades`).
//!
//! `--dry-run` does 1 and plans the rest, printing the exact SQL, changing nothing.

use std::process::ExitCode;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};

use crate::capture::template::{fill, statement};
use crate::capture::{
    self, poll, registry, CaptureError, CapturePlan, Cascade, ExistingTrigger, TableShape,
    TriggerState,
};
use crate::cli::MigrateArgs;
use crate::config::DbConfig;
use crate::db;
use crate::schema::{self, SchemaError};
use crate::server_checks::{ServerCheckError, ServerSettings};

/// How long a second migrate waits for the first before giving up.
pub const LOCK_WAIT_SECS: u64 = 60;

/// What to do.
#[derive(Debug, Clone, Default)]
pub struct MigratePlan {
    /// Tables to capture (install or refresh).
    pub tables: Vec<String>,
    /// Tables to stop capturing.
    pub uncapture: Vec<String>,
    /// (table, column) pairs to anchor as a SHA-256 digest from now on; the table is
    /// captured too.
    pub digest: Vec<(String, String)>,
    /// (table, column) pairs to anchor with their value again.
    pub no_digest: Vec<(String, String)>,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// How long one DDL or LOCK TABLES waits for a table's metadata lock before it is
    /// retried (None: [`METADATA_LOCK_WAIT`]).
    pub lock_wait: Option<Duration>,
    /// How `tables` are captured (None: as registered; triggers for a table not
    /// captured yet). Switching a table's source loses no change (see `switch_*`).
    pub capture: Option<registry::Source>,
    /// The poll column (None: as registered, else `updated_at`).
    pub poll_column: Option<String>,
    /// The application maintains the poll column itself (no ON UPDATE clause).
    pub poll_column_trusted: bool,
    /// Create the index the poller needs when the table has none led by the column.
    pub create_index: bool,
}

/// Default wait for a table's metadata lock, per try.
pub const METADATA_LOCK_WAIT: Duration = Duration::from_secs(5);
/// Tries of a DDL or LOCK TABLES that waited out the metadata lock wait.
pub const METADATA_LOCK_TRIES: u32 = 3;

impl MigratePlan {
    /// Parse `table.column` (split at the first dot).
    pub fn parse_column(spec: &str) -> Result<(String, String), CaptureError> {
        match spec.trim().split_once('.') {
            Some((t, c)) if !t.is_empty() && !c.is_empty() => Ok((t.to_string(), c.to_string())),
            _ => Err(CaptureError::DigestSpec(spec.to_string())),
        }
    }
}

/// What was done (or, with `dry_run`, would be done).
#[derive(Debug, Clone, Default)]
pub struct MigrateReport {
    pub dry_run: bool,
    /// Queue schema migrations applied, e.g. `V2__queue_worker_columns`.
    pub schema_migrations: Vec<String>,
    pub tables: Vec<TableChange>,
    /// Every statement run (or that would run), in order.
    pub statements: Vec<String>,
}

impl MigrateReport {
    pub fn changed(&self) -> bool {
        !self.statements.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableChange {
    pub table: String,
    pub action: TableAction,
    /// Tracking columns (and the `certyo_verify` index) added.
    pub columns_added: Vec<String>,
    /// Foreign keys whose cascading actions change this table without firing triggers.
    pub cascades: Vec<Cascade>,
    /// Columns anchored as a SHA-256 digest.
    pub digest_columns: Vec<String>,
    /// The poll column, for a table captured by polling.
    pub poll_column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAction {
    /// Triggers created where there were none.
    Installed,
    /// Triggers replaced because they differed (e.g. a column was added).
    Regenerated,
    /// Triggers already current.
    Unchanged,
    /// Triggers dropped.
    Uncaptured,
    /// `--uncapture` of a table that had no triggers of ours.
    NotCaptured,
    /// Capture by polling set up (no triggers).
    PollInstalled,
    /// Already captured by polling this column.
    PollUnchanged,
    /// Triggers dropped and polling started, under one table lock.
    SwitchedToPoll,
    /// Polling caught up and triggers installed, under one table lock.
    SwitchedToTrigger,
    /// Capture from the binary log set up (no triggers).
    BinlogInstalled,
    /// Already captured from the binary log.
    BinlogUnchanged,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("cannot reach the database: {0}")]
    Unreachable(String),
    #[error(
        "the database URL names no database; add it as the path, e.g. mysql://user@host:3306/shop"
    )]
    NoSchema,
    #[error("--poll-column, --poll-column-trusted and --create-index are for tables captured by polling; `{0}` is captured by triggers (add --capture poll to switch it)")]
    PollOptions(String),
    #[error("table `{0}` is named both to capture and to uncapture")]
    Conflict(String),
    #[error("empty table name{0}: name the table to capture, e.g. --table products")]
    EmptyTableName(&'static str),
    #[error("table name {name:?} is {chars} characters long; MySQL table names are at most 64 characters")]
    TableNameTooLong { name: String, chars: usize },
    #[error("another `certyo-queue migrate` of database `{schema}` kept its lock for {secs}s; try again when it has finished")]
    Locked { schema: String, secs: u64 },
    #[error("permission denied while {doing}: {message}. The migrate user needs GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, TRIGGER, LOCK TABLES ON `{schema}`.* TO <user>")]
    Privilege {
        doing: String,
        message: String,
        schema: String,
    },
    #[error("binary logging is on and this user lacks SUPER, so it may not create triggers ({message}); set GLOBAL log_bin_trust_function_creators = 1 (or in my.cnf), or run migrate as a user with SUPER")]
    BinlogTrust { message: String },
    #[error("{doing}: {message}")]
    Db {
        doing: String,
        message: String,
        /// MySQL error number, when the server gave one.
        code: Option<u16>,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Server(#[from] ServerCheckError),
    #[error("another session (typically an open transaction) held the metadata lock of `{table}` through {tries} waits of {secs}s while {doing}; nothing more was changed and the table's capture is as it was. Find it with SHOW PROCESSLIST / information_schema.INNODB_TRX, let it finish, and run migrate again")]
    MetadataLocked {
        table: String,
        doing: String,
        secs: u64,
        tries: u32,
    },
    #[error("{failure}; restoring the previous triggers of `{table}` also failed ({restore}): the table is NOT captured until migrate succeeds")]
    RestoreFailed {
        table: String,
        failure: Box<MigrateError>,
        restore: String,
    },
}

impl MigrateError {
    fn from_sqlx(doing: impl Into<String>, schema: &str, err: sqlx::Error) -> MigrateError {
        let doing = doing.into();
        let code = err
            .as_database_error()
            .and_then(|d| d.try_downcast_ref::<MySqlDatabaseError>())
            .map(|d| d.number());
        let message = match err.as_database_error() {
            Some(d) => d.message().to_string(),
            None => err.to_string(),
        };
        match code {
            Some(1142 | 1143 | 1044 | 1227) => MigrateError::Privilege {
                doing,
                message,
                schema: schema.to_string(),
            },
            Some(1419) => MigrateError::BinlogTrust { message },
            _ => match err {
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                    MigrateError::Unreachable(message)
                }
                _ => MigrateError::Db {
                    doing,
                    message,
                    code,
                },
            },
        }
    }
}

/// Run a migrate over a connection from `pool`. The pool must come from `db::connect`
/// (PIPES_AS_CONCAT off: triggers keep the sql_mode of the session that created them).
pub async fn run(pool: &MySqlPool, plan: &MigratePlan) -> Result<MigrateReport, MigrateError> {
    let mut conn = pool
        .acquire()
        .await
        .map_err(|e| MigrateError::Unreachable(e.to_string()))?;
    run_on(&mut conn, plan).await
}

/// Run a migrate on one connection (it holds the named lock and the table locks).
pub async fn run_on(
    conn: &mut MySqlConnection,
    plan: &MigratePlan,
) -> Result<MigrateReport, MigrateError> {
    let schema: Option<String> =
        sqlx::query_scalar(include_str!("../sql/migrate_current_schema.sql"))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| MigrateError::from_sqlx("reading the current database", "?", e))?;
    let schema = schema.ok_or(MigrateError::NoSchema)?;
    if let Some(both) = plan.tables.iter().find(|t| plan.uncapture.contains(t)) {
        return Err(MigrateError::Conflict(both.clone()));
    }
    check_table_names(plan.tables.iter().chain(&plan.uncapture))?;
    if plan.dry_run {
        return migrate_locked(conn, &schema, plan).await;
    }
    let lock = lock_name(&schema);
    let got: Option<i64> = sqlx::query_scalar(include_str!("../sql/migrate_lock.sql"))
        .bind(&lock)
        .bind(LOCK_WAIT_SECS as i64)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| MigrateError::from_sqlx("taking the migrate lock", &schema, e))?;
    if got != Some(1) {
        return Err(MigrateError::Locked {
            schema,
            secs: LOCK_WAIT_SECS,
        });
    }
    let result = migrate_locked(conn, &schema, plan).await;
    let released = sqlx::query(include_str!("../sql/migrate_unlock.sql"))
        .bind(&lock)
        .execute(&mut *conn)
        .await;
    if let Err(e) = released {
        tracing::warn!(event = "migrate.unlock", error = %e, "could not release the migrate lock; it goes with the connection");
    }
    result
}

/// The named lock of `schema`'s migrate: server-wide, so it names the schema, and at
/// most 64 characters (hashed when the schema name is long).
pub fn lock_name(schema: &str) -> String {
    let plain = format!("certyo_queue:migrate:{schema}");
    if plain.chars().count() <= 64 {
        return plain;
    }
    let hash = Sha256::digest(schema.as_bytes());
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("certyo_queue:migrate:{hex}")
}

async fn migrate_locked(
    conn: &mut MySqlConnection,
    schema: &str,
    plan: &MigratePlan,
) -> Result<MigrateReport, MigrateError> {
    // 1. Validate every table and the server's settings before changing anything.
    let settings = ServerSettings::read(conn)
        .await
        .map_err(|e| MigrateError::from_sqlx("reading server settings", schema, e))?;
    settings.check_delivery()?;
    let wait = plan.lock_wait.unwrap_or(METADATA_LOCK_WAIT);
    sqlx::query(include_str!("../sql/migrate_lock_wait.sql"))
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
    let existing_now = capture::existing_triggers(conn, schema).await?;
    let mut binlog_server = None;
    for (shape, target) in shapes.iter().zip(&targets) {
        if target.source != registry::Source::Binlog {
            continue;
        }
        if binlog_server.is_none() {
            binlog_server = Some(capture::binlog::check_server(conn).await?);
        }
        let from = match target.previous {
            Some(registry::Source::Trigger) => Some("triggers"),
            Some(registry::Source::Poll) => Some("polling"),
            _ if existing_now.iter().any(|t| t.table == shape.name) => Some("triggers"),
            _ => None,
        };
        if let Some(from) = from {
            return Err(CaptureError::BinlogSwitch {
                table: shape.name.clone(),
                from,
            }
            .into());
        }
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
    for shape in &shapes {
        let stored = capture::introspect::digest_columns(conn, &shape.name).await?;
        for c in &shape.columns {
            let file = match (c.digest, stored.contains(&c.name)) {
                (true, false) => include_str!("../sql/capture_digest_add.sql"),
                (false, true) => include_str!("../sql/capture_digest_remove.sql"),
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
    for ((shape, cascades), target) in shapes.iter().zip(cascades).zip(&targets) {
        let cp = capture::plan_capture(shape, &existing)?;
        let action = if target.source == registry::Source::Binlog {
            if !plan.dry_run {
                add_tracking_columns(conn, schema, &cp, wait).await?;
                registry::register(conn, &shape.name, registry::Source::Binlog, None).await?;
                let engine = binlog_server
                    .as_ref()
                    .map_or(capture::introspect::Engine::MySql, |b| b.engine);
                // After the registration: the reader starts past it (a reader already
                // running sees the registration in the log and picks the table up there).
                let at = capture::binlog::server_position(conn, engine).await?;
                capture::binlog::checkpoint_start(conn, &at).await?;
            }
            report.statements.extend(cp.alter.iter().cloned());
            if target.previous == Some(registry::Source::Binlog) && cp.alter.is_none() {
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
                apply_poll(conn, schema, shape, &cp, spec, check, &existing, wait).await?;
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
                    .extend(capture::plan_uncapture(&shape.name, &existing));
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
                switch_to_trigger(conn, schema, shape, &cp, &existing, target, wait).await?;
                registry::register(conn, &shape.name, registry::Source::Trigger, None).await?;
            }
            report.statements.extend(cp.statements().cloned());
            TableAction::SwitchedToTrigger
        } else {
            if !plan.dry_run {
                apply_capture(conn, schema, &cp, &existing, wait).await?;
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
            cascades,
            digest_columns: shape
                .columns
                .iter()
                .filter(|c| c.digest)
                .map(|c| c.name.clone())
                .collect(),
        });
    }

    // 6. Uncapture.
    for name in &plan.uncapture {
        let drops = capture::plan_uncapture(name, &existing);
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
    Ok(report)
}

/// How one named table ends up captured.
struct Target {
    source: registry::Source,
    /// Its source before this run (None: not registered).
    previous: Option<registry::Source>,
    prev_spec: Option<poll::PollSpec>,
    /// Poll spec and checks, for a polled table.
    poll: Option<(poll::PollSpec, poll::PollCheck)>,
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
async fn apply_poll(
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
        for d in &drops {
            exec(
                conn,
                schema,
                d,
                format!("dropping the triggers of `{table}`"),
            )
            .await?;
            dropped = true;
        }
        let (_, now) = poll::db_now(conn).await?;
        poll::checkpoint_reset(conn, table, floor, now.max(floor)).await?;
        poll::seed_seen(conn, &sql, floor).await?;
        Ok(())
    }
    .await;
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

/// Switch a polled table to triggers, under one table lock: every transaction on it
/// has committed, so a last poll (from the checkpoint's window to the end) enqueues
/// every change not polled yet, then the triggers are created and the poll checkpoint
/// forgotten; writes resume with the triggers in place.
async fn switch_to_trigger(
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
    let caught_up: Result<(), MigrateError> = async {
        let mut cursor = None;
        loop {
            let page =
                poll::poll_page(conn, &sql, SWITCH_CATCH_UP_LAG, cursor.as_ref(), 1000, None)
                    .await?;
            // Under the table lock no row changes between read and enqueue.
            match page {
                Some(Ok(p)) if p.read == 1000 => cursor = p.last,
                _ => break,
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = caught_up {
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

/// The table's tracking-column ALTER, if it needs one (waiting as migrate's DDL does).
async fn add_tracking_columns(
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

async fn apply_capture(
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
        sqlx::query_as(include_str!("../sql/capture_session_mode_get.sql"))
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
    let restored = sqlx::query(include_str!("../sql/capture_session_mode_restore.sql"))
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
async fn restore_triggers(
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

/// A statement that waits for `table`'s metadata lock: on a lock wait timeout (1205),
/// say what it waits for and try again, up to [`METADATA_LOCK_TRIES`] times.
async fn exec_waiting(
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
async fn exec(
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

/// `certyo-queue migrate`: resolve settings, run, print a readable summary.
pub async fn run_cli(args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    let cfg = DbConfig::from_args(&args.db)?;
    let columns = |specs: &[String]| -> Result<Vec<(String, String)>, CaptureError> {
        clean_names(specs)
            .iter()
            .map(|s| MigratePlan::parse_column(s))
            .collect()
    };
    let plan = MigratePlan {
        tables: clean_names(&args.tables),
        uncapture: clean_names(&args.uncapture),
        digest: columns(&args.digest_columns)?,
        no_digest: columns(&args.no_digest_columns)?,
        dry_run: args.dry_run,
        lock_wait: Some(args.lock_wait_timeout),
        capture: args.capture.map(|c| match c {
            crate::cli::CaptureSource::Trigger => registry::Source::Trigger,
            crate::cli::CaptureSource::Poll => registry::Source::Poll,
            crate::cli::CaptureSource::Binlog => registry::Source::Binlog,
        }),
        poll_column: args.poll_column.clone(),
        poll_column_trusted: args.poll_column_trusted,
        create_index: args.create_index,
    };
    // Before connecting: a bad name is refused even when the database is unreachable.
    check_table_names(args.tables.iter().chain(&args.uncapture))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let pool = db::connect(&cfg, 1)
        .await
        .map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))?;
    let result = run(&pool, &plan).await;
    pool.close().await;
    let report = result.map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))?;
    print!("{}", summary(&report));
    Ok(ExitCode::SUCCESS)
}

/// The warning printed for a foreign key whose cascades bypass `table`'s triggers.
pub fn cascade_warning(table: &str, c: &Cascade) -> String {
    format!(
        "`{table}`: foreign key {} changes its rows without firing triggers; those changes are not captured (capture `{}` too and anchor the parent's change, or let the application make the change itself)",
        c.describe(),
        c.referenced_table
    )
}

/// Refuse names that cannot be a table, with the true reason (before the generic
/// character check of `capture::check_name`, whose message is about quoting).
fn check_table_names<'a>(names: impl Iterator<Item = &'a String>) -> Result<(), MigrateError> {
    for name in names {
        if name.trim().is_empty() {
            return Err(MigrateError::EmptyTableName(if name.is_empty() {
                ""
            } else {
                " (only spaces)"
            }));
        }
        let chars = name.chars().count();
        if chars > 64 {
            return Err(MigrateError::TableNameTooLong {
                name: name.clone(),
                chars,
            });
        }
    }
    Ok(())
}

/// Trim and de-duplicate the names given; empty ones are kept so that they are
/// refused (`--table ''` is a mistake, not "nothing to do").
fn clean_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names.iter().map(|n| n.trim()) {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text `run_cli` prints: the SQL for a dry run, else what changed.
pub fn summary(report: &MigrateReport) -> String {
    let mut out = String::new();
    if report.dry_run {
        for t in &report.tables {
            for c in &t.cascades {
                out.push_str(&format!("-- warning: {}\n", cascade_warning(&t.table, c)));
            }
        }
        if report.statements.is_empty() {
            out.push_str("-- dry run: nothing to do, everything is up to date\n");
            return out;
        }
        out.push_str("-- dry run: nothing was changed; this is the SQL migrate would run\n");
        out.push_str("DELIMITER $$\n");
        for sql in &report.statements {
            out.push_str(sql);
            out.push_str("\n$$\n");
        }
        out.push_str("DELIMITER ;\n");
        return out;
    }
    if !report.schema_migrations.is_empty() {
        out.push_str(&format!(
            "queue schema: applied {}\n",
            report.schema_migrations.join(", ")
        ));
    }
    for t in &report.tables {
        let what = match t.action {
            TableAction::Installed => "capture installed",
            TableAction::Regenerated => "capture triggers regenerated (table changed)",
            TableAction::Unchanged => "capture triggers up to date",
            TableAction::Uncaptured => {
                "capture removed (data, tracking columns and queued rows kept)"
            }
            TableAction::NotCaptured => "was not captured",
            TableAction::PollInstalled => {
                "capture by polling set up (no triggers; deletes are not seen)"
            }
            TableAction::PollUnchanged => "captured by polling, up to date",
            TableAction::SwitchedToPoll => {
                "switched from triggers to polling (triggers dropped; deletes are no longer seen)"
            }
            TableAction::SwitchedToTrigger => {
                "switched from polling to triggers (polling caught up first)"
            }
            TableAction::BinlogInstalled => {
                "capture from the binary log set up (no triggers; `work` reads the log from now on)"
            }
            TableAction::BinlogUnchanged => "captured from the binary log, up to date",
        };
        out.push_str(&format!("{}: {what}", t.table));
        if let Some(c) = &t.poll_column {
            out.push_str(&format!("; poll column `{c}`"));
        }
        if !t.columns_added.is_empty() {
            out.push_str(&format!("; added {}", t.columns_added.join(", ")));
        }
        if !t.digest_columns.is_empty() {
            out.push_str(&format!(
                "; anchored as SHA-256: {}",
                t.digest_columns.join(", ")
            ));
        }
        out.push('\n');
        for c in &t.cascades {
            out.push_str(&format!("warning: {}\n", cascade_warning(&t.table, c)));
        }
    }
    if !report.changed() {
        out.push_str("nothing to do: everything is up to date\n");
    }
    out
}

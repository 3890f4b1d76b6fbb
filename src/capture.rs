//! Capture: the triggers and tracking columns that make a business table feed
//! `certyo_queue`, generated from `information_schema`.
//!
//! Invariants:
//! - Every capture trigger enqueues nothing while `@certyo_queue_writeback` is set (the
//!   worker's write-back); the UPDATE triggers act only when a business column changed
//!   (NULL-safe, byte-wise for text; `certyo_*` and ON UPDATE CURRENT_TIMESTAMP columns
//!   are not compared, the latter stay in the payload).
//! - Tracking columns (`certyo_*`) are added, never altered or dropped, and never appear
//!   in payloads.
//! - Triggers are replaced under `LOCK TABLES t WRITE, certyo_queue WRITE`, so no write
//!   to `t` can fall between the DROP and the CREATE.
//! - Our triggers are recognised by their name (`certyo_<table>_{bu,ai,au,ad}`) and the
//!   marker string in their body; a body equal to the generated one (whitespace
//!   aside) is current.
//! - Triggers are created under fixed session settings (`sql/capture_session_setup.sql`:
//!   utf8mb4, a non-strict sql_mode without parsing modes): a trigger keeps them, so
//!   the writer's session never changes what it does.
//! - A table whose columns cannot all be rendered (`render`) is refused before anything
//!   changes; one that became unrenderable after an ALTER is `Unrenderable` in status.
//! - Only names found in information_schema and free of quotes, backslashes and control
//!   characters are ever quoted into SQL.

pub mod binlog;
pub mod binlog_render;
pub mod introspect;
pub mod poll;
pub mod registry;
pub mod render;
pub mod triggers;

/// The SQL template helper lives in `crate::sql`; this name is kept for the capture
/// modules that reach it through `capture::template`.
pub use crate::sql as template;

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

pub use introspect::{check_name, inspect, inspect_existing, inspect_for_capture, TableShape};
use template::{fill, quote_ident, statement};

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "table `{table}` does not exist in database `{schema}` (or is a view, or this user may not see it)"
    )]
    UnknownTable { table: String, schema: String },
    #[error(
        "table `{0}` has no primary key; capture needs one to identify rows (add a PRIMARY KEY)"
    )]
    NoPrimaryKey(String),
    #[error("refusing table name {0:?}: names with quotes, backticks, backslashes or control characters are not supported")]
    BadName(String),
    #[error("refusing table `{table}`: column name {column:?} is not supported (quotes, backslashes, control characters, or a certyo_ key column)")]
    BadColumnName { table: String, column: String },
    #[error("`{0}` is certyo-queue's own table and cannot be captured")]
    Reserved(String),
    #[error("table `{table}`: column `{column}` has type {column_type}, which capture cannot render; anchor a SHA-256 of its bytes instead with `migrate --digest-column {table}.{column}`, or change the column's type")]
    Unrenderable {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: primary-key column `{column}` has type {column_type}, which cannot identify a row in record_id; capture needs a key of integer, DECIMAL, string, binary, ENUM/SET or date/time columns (e.g. add an AUTO_INCREMENT key)")]
    KeyType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: its primary key ({key}) renders as up to {width} characters, more than certyo_queue.record_id holds ({max}); capture needs a narrower key (e.g. an AUTO_INCREMENT or BINARY(16) key)", max = render::RECORD_ID_WIDTH)]
    KeyTooWide {
        table: String,
        key: String,
        width: u64,
    },
    #[error("--digest-column {0:?}: expected table.column")]
    DigestSpec(String),
    #[error("--digest-column {table}.{column}: table `{table}` has no column `{column}`")]
    DigestUnknownColumn { table: String, column: String },
    #[error("--digest-column {table}.{column}: `{column}` is {column_type}; only text (CHAR, VARCHAR, TEXT), binary (BINARY, VARBINARY, BLOB) and types capture cannot render can be anchored as a digest")]
    DigestType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}` has no column `{column}` to poll; name the table's last-change timestamp with --poll-column COLUMN")]
    PollColumnMissing { table: String, column: String },
    #[error("table `{table}`: poll column `{column}` is {column_type}; polling needs a TIMESTAMP or DATETIME column that changes on every update")]
    PollColumnType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: poll column `{column}` is not maintained on update (no ON UPDATE CURRENT_TIMESTAMP), so polling would miss updates; add it (ALTER TABLE `{table}` MODIFY `{column}` … ON UPDATE CURRENT_TIMESTAMP), or pass --poll-column-trusted if your application sets it on every change")]
    PollColumnNotMaintained { table: String, column: String },
    #[error("table `{table}`: no index starts with poll column `{column}`, so every poll round would scan the table; create it with `{create_index}` (or pass --create-index)")]
    PollIndexMissing {
        table: String,
        column: String,
        create_index: String,
    },
    #[error("binlog capture: {0}")]
    BinlogSetting(String),
    #[error("table `{table}`: column `{column}` has type {column_type}, which binlog capture cannot render exactly like the triggers yet; capture this table with `migrate --table {table} --capture trigger` (or --capture poll)")]
    BinlogUnsupported {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}` is captured by {from}; switching it to binlog capture is not supported yet: `migrate --uncapture {table}`, then `migrate --table {table} --capture binlog` and `backfill --table {table}` for the changes in between")]
    BinlogSwitch { table: String, from: &'static str },
    #[error("{context}: {source}")]
    Db {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

impl CaptureError {
    pub fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> CaptureError {
        move |source| CaptureError::Db { context, source }
    }
}

/// A table that currently has capture triggers of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedTable {
    pub name: String,
    /// Primary key columns in key order (a composite `record_id` lists them so).
    pub pk_columns: Vec<String>,
    /// Columns that make up the payload (all but `certyo_*`).
    pub business_columns: Vec<String>,
    /// Per key column: kept as lowercase hex in record_id (binary), found with UNHEX.
    pub hex_key: Vec<bool>,
    /// The record id expression over the bare table (`` `t`.`col` ``), as the triggers
    /// write it; None when the key cannot be rendered.
    pub record_id_sql: Option<String>,
}

/// How a table's triggers compare with what `migrate` would generate now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerState {
    /// All four triggers present with the current bodies.
    Current,
    /// Some present but missing or outdated (e.g. a column was added): rerun migrate.
    Drifted,
    /// None of ours: the table is not captured.
    Missing,
    /// Ours are present, but the table's current columns (or key) cannot be rendered:
    /// `generate` says why.
    Unrenderable,
}

/// A foreign key whose ON UPDATE / ON DELETE action changes a captured table's rows
/// without firing its triggers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cascade {
    pub constraint: String,
    /// The parent table whose changes cascade.
    pub referenced_table: String,
    pub on_update: String,
    pub on_delete: String,
}

impl Cascade {
    /// e.g. "`fk_line_order` (ON DELETE CASCADE from `orders`)"
    pub fn describe(&self) -> String {
        let mut actions = Vec::new();
        if self.on_update != "NO ACTION" && self.on_update != "RESTRICT" {
            actions.push(format!("ON UPDATE {}", self.on_update));
        }
        if self.on_delete != "NO ACTION" && self.on_delete != "RESTRICT" {
            actions.push(format!("ON DELETE {}", self.on_delete));
        }
        format!(
            "`{}` ({} from `{}`)",
            self.constraint,
            actions.join(", "),
            self.referenced_table
        )
    }
}

/// The foreign keys of `table` whose cascading actions bypass its triggers.
pub async fn cascades(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<Vec<Cascade>, CaptureError> {
    let rows = sqlx::query(include_str!("../sql/capture_cascading_foreign_keys.sql"))
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading foreign keys from information_schema",
        ))?;
    let mut out = Vec::new();
    for row in rows {
        let decode = || CaptureError::db("decoding foreign keys");
        let child: String = row.try_get(1).map_err(decode())?;
        if child != table {
            continue;
        }
        out.push(Cascade {
            constraint: row.try_get(0).map_err(decode())?,
            referenced_table: row.try_get(2).map_err(decode())?,
            on_update: row.try_get(3).map_err(decode())?,
            on_delete: row.try_get(4).map_err(decode())?,
        });
    }
    Ok(out)
}

/// A trigger of ours found in the database.
#[derive(Debug, Clone)]
pub struct ExistingTrigger {
    pub name: String,
    pub table: String,
    pub body: String,
    /// ACTION_TIMING and EVENT_MANIPULATION, e.g. `AFTER` and `INSERT`.
    pub timing: String,
    pub event: String,
}

/// Every trigger of ours in `schema`.
pub async fn existing_triggers(
    conn: &mut MySqlConnection,
    schema: &str,
) -> Result<Vec<ExistingTrigger>, CaptureError> {
    let rows = sqlx::query(include_str!("../sql/capture_triggers_list.sql"))
        .bind(schema)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db("listing triggers in information_schema"))?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding triggers"))?;
        let table: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding triggers"))?;
        // NULL when this user lacks the TRIGGER privilege on the table: the trigger is
        // still ours by name, its body just cannot be compared (judged drifted).
        let body: String = row
            .try_get::<Option<String>, _>(2)
            .map_err(CaptureError::db("decoding triggers"))?
            .unwrap_or_default();
        let timing: String = row
            .try_get(3)
            .map_err(CaptureError::db("decoding triggers"))?;
        let event: String = row
            .try_get(4)
            .map_err(CaptureError::db("decoding triggers"))?;
        if triggers::is_ours(&body) || triggers::trigger_names(&table).contains(&name) {
            out.push(ExistingTrigger {
                name,
                table,
                body,
                timing,
                event,
            });
        }
    }
    Ok(out)
}

/// MySQL and MariaDB: "Trigger does not exist".
const ER_TRG_DOES_NOT_EXIST: u16 = 1360;

/// Whether our trigger `name` exists in the connection's database, asked in a way that
/// needs no TRIGGER privilege (MySQL hides `information_schema.TRIGGERS` rows from users
/// without it; `SHOW CREATE TRIGGER` still answers "denied" for an existing trigger and
/// "does not exist" for a missing one).
pub async fn trigger_exists(conn: &mut MySqlConnection, name: &str) -> Result<bool, CaptureError> {
    check_name(name)?;
    let sql = fill(
        statement(include_str!("../sql/capture_trigger_probe.sql")),
        &[("trigger", &quote_ident(name))],
    );
    match sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if crate::db::error_number(&e) == Some(ER_TRG_DOES_NOT_EXIST) => Ok(false),
        Err(e) if crate::db::classify(&e) == crate::db::DbErrorKind::Privilege => Ok(true),
        Err(e) => Err(CaptureError::db("asking whether a capture trigger exists")(
            e,
        )),
    }
}

/// The captured tables of `schema`, from the capture registry. A database whose
/// registry is still empty (captured before it existed, not migrated since) falls back
/// to finding our triggers by name.
pub async fn captured_tables(
    conn: &mut MySqlConnection,
    schema: &str,
) -> Result<Vec<CapturedTable>, CaptureError> {
    let mut names: Vec<String> = registry::list(conn)
        .await?
        .into_iter()
        .map(|r| r.table)
        .collect();
    if names.is_empty() {
        names = existing_triggers(conn, schema)
            .await?
            .into_iter()
            .map(|t| t.table)
            .collect();
    }
    names.sort();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        if let Some(shape) = inspect(conn, schema, &name).await? {
            out.push(CapturedTable {
                business_columns: shape.business_columns().map(|c| c.name.clone()).collect(),
                hex_key: shape
                    .key_columns()
                    .into_iter()
                    .map(render::key_is_hex)
                    .collect(),
                record_id_sql: triggers::record_id(&shape, &quote_ident(&name)).ok(),
                pk_columns: shape.pk,
                name,
            });
        }
    }
    Ok(out)
}

/// Compare `table`'s triggers with what would be generated now.
pub async fn trigger_state(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<TriggerState, CaptureError> {
    let existing: Vec<ExistingTrigger> = existing_triggers(conn, schema)
        .await?
        .into_iter()
        .filter(|t| t.table == table)
        .collect();
    if existing.is_empty() {
        return Ok(TriggerState::Missing);
    }
    let Some(shape) = inspect(conn, schema, table).await? else {
        return Ok(TriggerState::Missing);
    };
    Ok(compare(&shape, &existing))
}

fn compare(shape: &TableShape, existing: &[ExistingTrigger]) -> TriggerState {
    let ours: Vec<&ExistingTrigger> = existing.iter().filter(|t| t.table == shape.name).collect();
    if ours.is_empty() {
        return TriggerState::Missing;
    }
    let Ok(wanted) = triggers::generate(shape) else {
        return TriggerState::Unrenderable;
    };
    let current = ours.len() == wanted.len()
        && wanted.iter().all(|w| {
            ours.iter()
                .any(|t| t.name == w.name && triggers::same_body(&t.body, &w.body))
        });
    if current {
        TriggerState::Current
    } else {
        TriggerState::Drifted
    }
}

/// What capturing one table takes, worked out before anything changes.
#[derive(Debug, Clone)]
pub struct CapturePlan {
    pub table: String,
    /// Tracking columns and index this run adds (empty: all there).
    pub columns_added: Vec<String>,
    /// `ALTER TABLE` adding them, if any.
    pub alter: Option<String>,
    /// What happens to the triggers.
    pub triggers: TriggerState,
    /// Session setup, LOCK TABLES, DROP/CREATE TRIGGER…, UNLOCK TABLES; empty when
    /// current.
    pub trigger_statements: Vec<String>,
}

impl CapturePlan {
    /// Every statement, in the order it runs.
    pub fn statements(&self) -> impl Iterator<Item = &String> {
        self.alter.iter().chain(self.trigger_statements.iter())
    }
}

/// Plan capture of `shape` given the triggers of ours in the schema; refuses a table
/// whose columns or key cannot be rendered.
pub fn plan_capture(
    shape: &TableShape,
    existing: &[ExistingTrigger],
) -> Result<CapturePlan, CaptureError> {
    let defs = triggers::generate(shape)?;
    let table = quote_ident(&shape.name);
    let mut columns_added = Vec::new();
    let mut clauses = Vec::new();
    for (name, clause) in
        template::fragment_list(include_str!("../sql/capture_tracking_columns.sql"))
    {
        let present = if clause.starts_with("ADD INDEX") {
            shape.indexes.iter().any(|i| i == name)
        } else {
            shape.has_column(name)
        };
        if !present {
            columns_added.push(name.to_string());
            clauses.push(clause);
        }
    }
    let alter = (!clauses.is_empty()).then(|| {
        fill(
            statement(include_str!("../sql/capture_alter_table.sql")),
            &[("table", &table), ("changes", &clauses.join(", "))],
        )
    });

    let state = compare(shape, existing);
    let mut trigger_statements = Vec::new();
    if state != TriggerState::Current {
        trigger_statements.push(session_setup_statement().to_string());
        trigger_statements.push(fill(
            statement(include_str!("../sql/capture_lock_tables.sql")),
            &[("table", &table)],
        ));
        for old in existing.iter().filter(|t| t.table == shape.name) {
            trigger_statements.push(triggers::drop_statement(&old.name));
        }
        for def in &defs {
            trigger_statements.push(triggers::create_statement(def, &shape.name));
        }
        trigger_statements.push(unlock_statement().to_string());
    }
    Ok(CapturePlan {
        table: shape.name.clone(),
        columns_added,
        alter,
        triggers: state,
        trigger_statements,
    })
}

/// The session settings triggers are created under (`SET NAMES`, `sql_mode`).
pub fn session_setup_statement() -> &'static str {
    statement(include_str!("../sql/capture_session_setup.sql"))
}

/// DROP TRIGGER statements that stop capturing `table` (empty: not captured).
pub fn plan_uncapture(table: &str, existing: &[ExistingTrigger]) -> Vec<String> {
    existing
        .iter()
        .filter(|t| t.table == table)
        .map(|t| triggers::drop_statement(&t.name))
        .collect()
}

/// The CREATE TRIGGER that puts `old` back as it was (its stored body), or None when
/// its timing or event is not one a capture trigger has, or its body is unknown.
pub fn restore_statement(old: &ExistingTrigger) -> Option<String> {
    let timing = match (old.timing.as_str(), old.event.as_str()) {
        ("BEFORE", "INSERT") => "BEFORE INSERT",
        ("BEFORE", "UPDATE") => "BEFORE UPDATE",
        ("BEFORE", "DELETE") => "BEFORE DELETE",
        ("AFTER", "INSERT") => "AFTER INSERT",
        ("AFTER", "UPDATE") => "AFTER UPDATE",
        ("AFTER", "DELETE") => "AFTER DELETE",
        _ => return None,
    };
    if old.body.trim().is_empty() {
        return None;
    }
    Some(fill(
        statement(include_str!("../sql/capture_create_trigger.sql")),
        &[
            ("trigger", &quote_ident(&old.name)),
            ("timing", timing),
            ("table", &quote_ident(&old.table)),
            ("body", &old.body),
        ],
    ))
}

/// Is `sql` the LOCK TABLES statement `plan_capture` makes?
pub fn is_lock_statement(sql: &str) -> bool {
    made_from(include_str!("../sql/capture_lock_tables.sql"), sql)
}

/// Is `sql` one of the DROP TRIGGER statements `plan_capture` makes?
pub fn is_drop_statement(sql: &str) -> bool {
    made_from(include_str!("../sql/capture_drop_trigger.sql"), sql)
}

/// Was `sql` filled in from the statement file `file` (same text up to its first
/// placeholder)?
fn made_from(file: &str, sql: &str) -> bool {
    let template = statement(file);
    let head = template.split('{').next().unwrap_or(template);
    sql.starts_with(head)
}

/// `UNLOCK TABLES`, also run after a failure while the table lock is held.
pub fn unlock_statement() -> &'static str {
    statement(include_str!("../sql/capture_unlock_tables.sql"))
}

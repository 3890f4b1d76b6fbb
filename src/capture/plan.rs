//! The statements that capture a table (tracking columns, then the triggers replaced
//! under LOCK TABLES), stop capturing it, or put an old trigger back after a failed
//! regeneration; and the recognition of those statements by `migrate`.

use super::installed_triggers::compare;
use super::template::{self, fill, quote_ident, statement};
use super::{triggers, CaptureError, ExistingTrigger, TableShape, TriggerState};

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
        template::fragment_list(include_str!("../../sql/capture_tracking_columns.sql"))
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
            statement(include_str!("../../sql/capture_alter_table.sql")),
            &[("table", &table), ("changes", &clauses.join(", "))],
        )
    });

    let state = compare(shape, existing);
    let mut trigger_statements = Vec::new();
    if state != TriggerState::Current {
        trigger_statements.push(session_setup_statement().to_string());
        trigger_statements.push(fill(
            statement(include_str!("../../sql/capture_lock_tables.sql")),
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
    statement(include_str!("../../sql/capture_session_setup.sql"))
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
        statement(include_str!("../../sql/capture_create_trigger.sql")),
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
    made_from(include_str!("../../sql/capture_lock_tables.sql"), sql)
}

/// Is `sql` one of the DROP TRIGGER statements `plan_capture` makes?
pub fn is_drop_statement(sql: &str) -> bool {
    made_from(include_str!("../../sql/capture_drop_trigger.sql"), sql)
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
    statement(include_str!("../../sql/capture_unlock_tables.sql"))
}

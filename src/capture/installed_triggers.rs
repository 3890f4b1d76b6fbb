//! The capture triggers of ours found in the database (`information_schema.TRIGGERS`,
//! or `SHOW CREATE TRIGGER` for a user without the TRIGGER privilege), and how a
//! table's compare with what `migrate` would generate now ([`TriggerState`]).

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::template::{fill, quote_ident, statement};
use super::{check_name, inspect, triggers, CaptureError, TableShape};

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
    let rows = sqlx::query(include_str!("../../sql/capture_triggers_list.sql"))
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
        statement(include_str!("../../sql/capture_trigger_probe.sql")),
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

pub(super) fn compare(shape: &TableShape, existing: &[ExistingTrigger]) -> TriggerState {
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

//! The captured tables of a schema, from the capture registry (or, before it has rows,
//! our triggers found by name), each with its key columns and record id expression.

use sqlx::mysql::MySqlConnection;

use super::template::quote_ident;
use super::{existing_triggers, inspect, registry, render, triggers, CaptureError};

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

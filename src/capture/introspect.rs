//! What `information_schema` says about a table: its columns in order, which are
//! business columns, which move by themselves (ON UPDATE CURRENT_TIMESTAMP), its primary
//! key in key order, and its indexes. Names are matched exactly (information_schema may
//! compare case-blind) and checked before anything quotes them.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::CaptureError;

/// Prefix of every tracking column (and of our index and triggers).
pub const TRACKING_PREFIX: &str = "certyo_";

/// Tables that are ours and must never be captured.
const RESERVED: &[&str] = &["certyo_queue", crate::schema::HISTORY_TABLE];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// `ON UPDATE CURRENT_TIMESTAMP`: kept in payloads, left out of change detection.
    pub on_update: bool,
    /// A character column: compared as bytes so case-only changes count.
    pub text: bool,
}

impl Column {
    pub fn is_tracking(&self) -> bool {
        self.name.starts_with(TRACKING_PREFIX)
    }
}

/// A base table as information_schema describes it.
#[derive(Debug, Clone)]
pub struct TableShape {
    pub name: String,
    /// Every column in table order, tracking columns included.
    pub columns: Vec<Column>,
    /// Primary key columns in key order.
    pub pk: Vec<String>,
    pub indexes: Vec<String>,
}

impl TableShape {
    /// Columns that are the row's content: everything but `certyo_*`.
    pub fn business_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.is_tracking())
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }
}

/// Refuse names that would need more than plain backtick quoting.
pub fn check_name(name: &str) -> Result<(), CaptureError> {
    let bad = name.is_empty()
        || name.chars().count() > 64
        || name.ends_with(' ')
        || name
            .chars()
            .any(|c| matches!(c, '`' | '\'' | '"' | '\\') || c.is_control());
    if bad {
        return Err(CaptureError::BadName(name.to_string()));
    }
    Ok(())
}

/// The table `name` in `schema`, or `Ok(None)` if there is no such base table.
pub async fn inspect(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<Option<TableShape>, CaptureError> {
    let rows = sqlx::query(include_str!("../../sql/capture_table_columns.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's columns from information_schema",
        ))?;
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for row in rows {
        let table: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding columns"))?;
        if table != name {
            continue;
        }
        let column: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding columns"))?;
        let extra: Option<String> = row
            .try_get(2)
            .map_err(CaptureError::db("decoding columns"))?;
        let charset: Option<String> = row
            .try_get(3)
            .map_err(CaptureError::db("decoding columns"))?;
        let pk_position: Option<i64> = row
            .try_get(4)
            .map_err(CaptureError::db("decoding columns"))?;
        if let Some(pos) = pk_position {
            pk.push((pos, column.clone()));
        }
        columns.push(Column {
            on_update: extra
                .unwrap_or_default()
                .to_ascii_lowercase()
                .contains("on update"),
            text: charset.is_some(),
            name: column,
        });
    }
    if columns.is_empty() {
        return Ok(None);
    }
    pk.sort();
    let index_rows = sqlx::query(include_str!("../../sql/capture_table_indexes.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's indexes from information_schema",
        ))?;
    let mut indexes = Vec::new();
    for row in index_rows {
        let table: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding indexes"))?;
        let index: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding indexes"))?;
        if table == name {
            indexes.push(index);
        }
    }
    Ok(Some(TableShape {
        name: name.to_string(),
        columns,
        pk: pk.into_iter().map(|(_, c)| c).collect(),
        indexes,
    }))
}

/// Inspect a table a user asked to capture, refusing what cannot be captured.
pub async fn inspect_for_capture(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<TableShape, CaptureError> {
    check_name(name)?;
    if RESERVED.contains(&name) {
        return Err(CaptureError::Reserved(name.to_string()));
    }
    let shape = inspect(conn, schema, name)
        .await?
        .ok_or_else(|| CaptureError::UnknownTable {
            table: name.to_string(),
            schema: schema.to_string(),
        })?;
    if shape.pk.is_empty() {
        return Err(CaptureError::NoPrimaryKey(name.to_string()));
    }
    for column in &shape.columns {
        check_name(&column.name).map_err(|_| CaptureError::BadColumnName {
            table: name.to_string(),
            column: column.name.clone(),
        })?;
    }
    if let Some(col) = shape.pk.iter().find(|c| c.starts_with(TRACKING_PREFIX)) {
        return Err(CaptureError::BadColumnName {
            table: name.to_string(),
            column: col.clone(),
        });
    }
    Ok(shape)
}

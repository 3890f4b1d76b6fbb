//! The checks `migrate --capture poll` makes on the poll column: present, a TIMESTAMP
//! or DATETIME, maintained on update (or trusted), and leading an index (or the
//! `CREATE INDEX` to run first).

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::super::introspect::TableShape;
use super::super::template::{fill, quote_ident, statement};
use super::{CaptureError, PollSpec};

/// What `migrate --capture poll` found out about the poll column.
#[derive(Debug, Clone)]
pub struct PollCheck {
    /// The column's name as the table spells it.
    pub column: String,
    /// `CREATE INDEX` to run first (`--create-index` and no index led by the column).
    pub create_index: Option<String>,
}

/// Refuse a poll column that cannot find every change: missing, not a TIMESTAMP or
/// DATETIME, not maintained on update (no ON UPDATE CURRENT_TIMESTAMP, not
/// `trusted`), or without an index led by it (unless `create_index`).
pub async fn check(
    conn: &mut MySqlConnection,
    schema: &str,
    shape: &TableShape,
    spec: &PollSpec,
    create_index: bool,
) -> Result<PollCheck, CaptureError> {
    let table = shape.name.clone();
    let col = shape
        .column(&spec.poll_column)
        .or_else(|| {
            shape
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&spec.poll_column))
        })
        .ok_or_else(|| CaptureError::PollColumnMissing {
            table: table.clone(),
            column: spec.poll_column.clone(),
        })?;
    if !matches!(col.data_type.as_str(), "timestamp" | "datetime") || col.is_tracking() {
        return Err(CaptureError::PollColumnType {
            table,
            column: col.name.clone(),
            column_type: col.column_type.clone(),
        });
    }
    if !col.on_update && !spec.poll_column_trusted {
        return Err(CaptureError::PollColumnNotMaintained {
            table,
            column: col.name.clone(),
        });
    }
    let rows = sqlx::query(include_str!("../../../sql/poll_column_indexes.sql"))
        .bind(schema)
        .bind(&shape.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's indexes from information_schema",
        ))?;
    let mut indexed = false;
    for row in rows {
        let decode = || CaptureError::db("decoding indexes");
        let t: String = row.try_get(0).map_err(decode())?;
        let c: String = row.try_get(2).map_err(decode())?;
        if t == shape.name && c.eq_ignore_ascii_case(&col.name) {
            indexed = true;
        }
    }
    let index_sql = fill(
        statement(include_str!("../../../sql/poll_create_index.sql")),
        &[
            ("table", &quote_ident(&shape.name)),
            ("column", &quote_ident(&col.name)),
        ],
    );
    if !indexed && !create_index {
        return Err(CaptureError::PollIndexMissing {
            table,
            column: col.name.clone(),
            create_index: index_sql,
        });
    }
    Ok(PollCheck {
        column: col.name.clone(),
        create_index: (!indexed).then_some(index_sql),
    })
}

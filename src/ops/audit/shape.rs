//! The audited table: its shape (with the tracking and digest columns an audit needs,
//! and the rendering options readable) and InnoDB's estimate of its size.

use sqlx::mysql::MySqlConnection;

use super::AuditError;
use crate::capture::template::statement;
use crate::capture::{self, CaptureError, TableShape};
use crate::error::DbError;

/// The table's shape, if it has the tracking columns an audit compares.
pub(super) async fn audited_shape(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<TableShape, AuditError> {
    let shape = capture::inspect_existing(conn, schema, table).await?;
    if shape.pk.is_empty() {
        return Err(CaptureError::NoPrimaryKey(shape.name.clone()).into());
    }
    if !shape.has_column("certyo_anchor_status") {
        return Err(AuditError::NotTracked(shape.name.clone()));
    }
    if !shape.has_column("certyo_payload_sha256") {
        return Err(AuditError::NoDigestColumn(shape.name.clone()));
    }
    // The rendering options: `inspect` takes "none" when it may not read them (the
    // worker needs none), but a digested column rendered raw would look altered.
    match sqlx::query(include_str!("../../../sql/capture_digest_list.sql"))
        .bind(&shape.name)
        .fetch_all(&mut *conn)
        .await
    {
        Ok(_) => {}
        Err(e) if crate::db::classify(&e) == crate::db::DbErrorKind::Privilege => {
            return Err(AuditError::Privilege("certyo_capture_digest"))
        }
        // 42S02: no digest options table yet (before migration V6): none are set.
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42S02") => {}
        Err(e) => return Err(DbError::query("reading the rendering options")(e).into()),
    }
    Ok(shape)
}

pub(super) async fn estimate_rows(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<u64, AuditError> {
    let n = sqlx::query_scalar::<_, i64>(statement(include_str!(
        "../../../sql/backfill_estimate_rows.sql"
    )))
    .bind(schema)
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(DbError::query("estimating the table's size"))?
    .unwrap_or(0);
    Ok(n.max(0) as u64)
}

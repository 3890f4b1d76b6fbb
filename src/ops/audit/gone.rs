//! The queue-side check of an audit: records whose newest queue event is not a delete
//! but whose row is gone, read in one snapshot (the queue's side through
//! `queue::inspect`).

use std::collections::HashMap;

use sqlx::mysql::MySqlConnection;
use sqlx::{Executor, Row};

use super::table_sql::TableSql;
use super::{AuditConfig, AuditError, GoneRow, TableAudit, ROWS_PER_STATEMENT};
use crate::capture::template::fill;
use crate::error::DbError;
use crate::queue::inspect;
use crate::writeback::{parse_record_id, KeyValue};

/// The queue-side check: records whose newest event is not a delete but whose row is
/// gone. Reads one snapshot.
pub(super) async fn gone(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    cfg: &AuditConfig,
    table: &mut TableAudit,
) -> Result<(), AuditError> {
    conn.execute(include_str!("../../../sql/audit_snapshot_isolation.sql"))
        .await
        .map_err(DbError::query("choosing the snapshot's isolation"))?;
    conn.execute(include_str!("../../../sql/audit_snapshot_begin.sql"))
        .await
        .map_err(DbError::query("beginning the queue-side snapshot"))?;
    let result = gone_in_snapshot(conn, sql, cfg, table).await;
    let end = conn
        .execute(include_str!("../../../sql/audit_snapshot_end.sql"))
        .await
        .map_err(DbError::query("ending the queue-side snapshot"));
    result?;
    end?;
    Ok(())
}
async fn gone_in_snapshot(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    cfg: &AuditConfig,
    table: &mut TableAudit,
) -> Result<(), AuditError> {
    let mut after = String::new();
    loop {
        let events = inspect::newest_event_per_record(
            &mut *conn,
            &table.table,
            &after,
            ROWS_PER_STATEMENT as i64,
        )
        .await
        .map_err(|e| match e {
            DbError::Query { source, .. }
                if crate::db::classify(&source) == crate::db::DbErrorKind::Privilege =>
            {
                AuditError::Privilege("certyo_queue")
            }
            e => e.into(),
        })?;
        let Some(last) = events.last() else {
            return Ok(());
        };
        after = last.record_id.clone();
        let full = events.len() == ROWS_PER_STATEMENT;
        let mut live: Vec<(GoneRow, Vec<String>)> = Vec::new();
        for event in events {
            let record = GoneRow {
                record_id: event.record_id,
                queue_id: event.queue_id,
                last_op: event.op,
                delivered: event.delivered,
            };
            if record.last_op == "delete" {
                continue;
            }
            // A record id that does not parse as this table's key names no row of it.
            if let Some(key) = parse_record_id(&record.record_id, sql.key_len()) {
                let key = key
                    .into_iter()
                    .map(|k| match k {
                        KeyValue::Int(i) => i.to_string(),
                        KeyValue::Text(s) => s,
                    })
                    .collect();
                live.push((record, key));
            }
        }
        if !live.is_empty() {
            let present = present(conn, sql, &live).await?;
            for (record, _) in live {
                if !present.contains_key(&record.record_id) {
                    table.gone += 1;
                    if table.gone_rows.len() < cfg.limit {
                        table.gone_rows.push(record);
                    }
                }
            }
        }
        if !full {
            return Ok(());
        }
    }
}

/// Which of these records still have their row (by record id).
async fn present(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    records: &[(GoneRow, Vec<String>)],
) -> Result<HashMap<String, ()>, AuditError> {
    let values = sql.present_values(records.len());
    let text = fill(&sql.present, &[("values", &values)]);
    let mut q = sqlx::query(sqlx::AssertSqlSafe(text.as_str()));
    for (record, key) in records {
        q = q.bind(record.record_id.clone());
        let binds: Vec<(usize, String)> = key.iter().cloned().enumerate().collect();
        q = sql.bind(q, &binds);
    }
    let rows = q.fetch_all(&mut *conn).await.map_err(DbError::query(
        "looking up the queue's records in the table",
    ))?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map(|id| (id, ())))
        .collect::<Result<_, _>>()
        .map_err(|e| DbError::query("decoding present records")(e).into())
}

//! The candidates of one table's round: its rows that are 'Pending', ingested at least
//! `verify_after` ago and due, oldest first, at most `batch`, with their key, record id
//! and age.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::mysql::MySqlRow;
use sqlx::Row;

use super::table_sql::TableSql;
use super::{micros, Verifier};
use crate::error::DbError;

/// One candidate row.
pub(super) struct Candidate {
    pub(super) pk: Vec<String>,
    pub(super) record_id: String,
    pub(super) ingested_at: DateTime<Utc>,
    pub(super) age: Duration,
}

impl Verifier {
    pub(super) async fn candidates(&self, sql: &TableSql) -> Result<Vec<Candidate>, DbError> {
        let after_us = micros(self.cfg.verify_after);
        let rows: Vec<MySqlRow> = sqlx::query(sqlx::AssertSqlSafe(sql.select.as_str()))
            .bind(after_us)
            .bind(self.cfg.batch as i64)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("reading Pending rows to verify"))?;
        let n = sql.pk_len;
        let decode = |row: &MySqlRow| -> Result<Candidate, sqlx::Error> {
            let mut pk = Vec::with_capacity(n);
            for i in 0..n {
                pk.push(row.try_get::<String, _>(i)?);
            }
            let age_us: Option<i64> = row.try_get("age_us")?;
            Ok(Candidate {
                pk,
                record_id: row.try_get("record_id")?,
                ingested_at: row.try_get("certyo_ingested_at")?,
                age: Duration::from_micros(age_us.unwrap_or(0).max(0) as u64),
            })
        };
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map_err(DbError::query("decoding Pending rows to verify"))
    }
}

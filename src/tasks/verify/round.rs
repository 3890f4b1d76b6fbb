//! One table's round: read its due Pending rows, ask Certyo about them, turn each
//! answer into a mark (Anchored, ask again later with backoff, Failed past the anchor
//! timeout, or untouched after a retryable error), and write the marks.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::ask::RoundEnd;
use super::marks::VerifyMark;
use super::table_sql::TableSql;
use super::{Verifier, VerifyReport, VerifyTable};
use crate::certyo::ApiError;
use crate::error::DbError;
use crate::tasks::TaskError;

impl Verifier {
    /// Check one table's due rows. `Ok(false)` ends the round early (API struggling).
    pub(super) async fn verify_table(
        &self,
        table: &VerifyTable,
        stop: &CancellationToken,
        report: &mut VerifyReport,
    ) -> Result<bool, TaskError> {
        let sql = TableSql::new(table, self.keep_columns(&table.name).await?);
        let candidates = self.candidates(&sql).await?;
        if candidates.is_empty() {
            return Ok(true);
        }
        let (answers, end) = self.ask(&table.name, &candidates, stop).await;
        report.checked += answers.len() as u64;
        let timeout = self.cfg.anchor_timeout;
        let mut writes = Vec::with_capacity(answers.len());
        for (i, answer) in answers {
            let row = &candidates[i];
            let outcome = match answer {
                Ok(v) if v.is_anchored() => VerifyMark::Anchored,
                Ok(_) | Err(ApiError::Rejected { .. }) if row.age >= timeout => {
                    tracing::warn!(event = "verify.failed",
                        table = %table.name, record_id = %row.record_id, age_s = row.age.as_secs(),
                        "verify.failed: not anchored {:?} after ingestion; marked Failed", timeout
                    );
                    VerifyMark::Failed
                }
                Ok(_) => VerifyMark::Later(self.backoff(row.age)),
                Err(ApiError::Rejected { status, message }) => {
                    tracing::debug!(table = %table.name, record_id = %row.record_id, status, %message,
                        "verify.unknown: Certyo does not know this record yet");
                    VerifyMark::Later(self.backoff(row.age))
                }
                Err(_) => {
                    report.retry_later += 1;
                    continue;
                }
            };
            writes.push((i, outcome));
        }
        self.write(&sql, &candidates, &writes, report).await?;
        match end {
            RoundEnd::Done => Ok(true),
            RoundEnd::Struggling => Ok(false),
            RoundEnd::Auth(e) => {
                tracing::error!(event = "verify.auth", error = %e, "verify.auth: Certyo refused the credentials, or the base URL leads elsewhere (a redirect); verification stopped until fixed");
                Err(TaskError::Api(e))
            }
        }
    }

    fn backoff(&self, age: Duration) -> Duration {
        let until_timeout = self.cfg.anchor_timeout.saturating_sub(age);
        (age / 2).min(self.cfg.backoff_max).min(until_timeout)
    }

    async fn keep_columns(&self, table: &str) -> Result<Vec<String>, DbError> {
        sqlx::query_scalar(include_str!("../../../sql/columns_on_update.sql"))
            .bind(&self.schema)
            .bind(table)
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::query("reading ON UPDATE columns"))
    }
}

//! The local pass over one table, chunk by chunk over the primary key: counts by class,
//! the altered rows (proved by Certyo and marked when asked), and the sample of
//! matching rows proved.

use sqlx::mysql::{MySqlConnection, MySqlPool, MySqlRow};
use sqlx::Row;
use tokio_util::sync::CancellationToken;

use super::mark::mark;
use super::prove::{Prover, Verdict};
use super::table_sql::TableSql;
use super::{AlteredRow, AuditConfig, AuditError, TableAudit, ROWS_PER_STATEMENT};
use crate::capture::template::fill;
use crate::error::DbError;

/// What one table's scan needs besides the statements.
pub(super) struct ScanConfig<'a> {
    /// Where `--mark` takes its connection from.
    pub pool: &'a MySqlPool,
    pub cfg: &'a AuditConfig,
    pub prover: Option<&'a Prover>,
    /// Matching rows to ask Certyo about per chunk.
    pub per_chunk: u64,
}

/// The local pass over one table (and the proof, with a prover); false when stopped
/// early.
pub(super) async fn scan(
    conn: &mut MySqlConnection,
    sql: &TableSql,
    scan: &ScanConfig<'_>,
    table: &mut TableAudit,
    last: &mut Option<Vec<String>>,
    stop: &CancellationToken,
    on_chunk: &mut (dyn FnMut(&TableAudit) + Send),
) -> Result<bool, AuditError> {
    let cfg = scan.cfg;
    loop {
        if stop.is_cancelled() {
            return Ok(false);
        }
        let after = sql.after(last.as_deref());
        let end_sql = fill(&sql.chunk_end, &[("after", &after.text)]);
        let q = sql
            .bind(
                sqlx::query(sqlx::AssertSqlSafe(end_sql.as_str())),
                &after.binds,
            )
            .bind((cfg.chunk - 1) as i64);
        let mut end = read_key(
            q.fetch_optional(&mut *conn).await,
            sql.key_len(),
            "finding the end of an audit chunk",
        )?;
        if end.is_none() {
            let last_sql = fill(&sql.last_key, &[("after", &after.text)]);
            let q = sql.bind(
                sqlx::query(sqlx::AssertSqlSafe(last_sql.as_str())),
                &after.binds,
            );
            end = read_key(
                q.fetch_optional(&mut *conn).await,
                sql.key_len(),
                "finding the last key",
            )?;
        }
        let Some(end) = end else {
            return Ok(true);
        };
        let upto = sql.upto(&end);
        let chunk_sql =
            |template: &str| fill(template, &[("after", &after.text), ("upto", &upto.text)]);
        let counts_sql = chunk_sql(&sql.counts);
        let q = sql.bind(
            sql.bind(
                sqlx::query(sqlx::AssertSqlSafe(counts_sql.as_str())),
                &after.binds,
            ),
            &upto.binds,
        );
        let rows = q.fetch_all(&mut *conn).await.map_err(DbError::query(
            "comparing a chunk with its anchored digests",
        ))?;
        let mut altered_here = 0;
        for row in rows {
            let decode = DbError::query("decoding an audit chunk's counts");
            let class: i64 = row.try_get(0).map_err(decode)?;
            let n: i64 = row
                .try_get(1)
                .map_err(DbError::query("decoding an audit chunk's counts"))?;
            let n = n.max(0) as u64;
            table.rows += n;
            match class {
                0 => table.never_delivered += n,
                1 => table.awaiting_delivery += n,
                2 => table.delivered_without_digest += n,
                3 => table.matching += n,
                // Counted from the listing below (read a moment later).
                _ => altered_here += n,
            }
        }
        if altered_here > 0 {
            let altered_sql = chunk_sql(&sql.altered);
            let q = sql.bind(
                sql.bind(
                    sqlx::query(sqlx::AssertSqlSafe(altered_sql.as_str())),
                    &after.binds,
                ),
                &upto.binds,
            );
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::query("reading a chunk's altered rows"))?;
            let mut keys: Vec<Vec<String>> = Vec::with_capacity(rows.len());
            let mut found: Vec<AlteredRow> = Vec::with_capacity(rows.len());
            for row in &rows {
                found.push(altered_row(row)?);
                keys.push(read_key_at(row, 5, sql.key_len())?);
            }
            if let Some(prover) = scan.prover {
                let verdicts = prover.ask(&table.table, &found).await?;
                let mut kept = (Vec::new(), Vec::new());
                for ((mut row, key), v) in found.into_iter().zip(keys).zip(verdicts) {
                    if let Some(p) = table.proof.as_mut() {
                        v.count(p);
                    }
                    // Certyo holds exactly this content: the local digest was wrong
                    // (e.g. a version rendered by older triggers), the row is not altered.
                    if matches!(v, Verdict::Anchored | Verdict::Pending) {
                        table.matching += 1;
                        continue;
                    }
                    row.proof = Some(v.describe().to_string());
                    kept.0.push(row);
                    kept.1.push(key);
                }
                (found, keys) = kept;
            }
            table.altered += found.len() as u64;
            for row in found {
                if table.altered_rows.len() < cfg.limit {
                    table.altered_rows.push(row);
                }
            }
            if cfg.mark {
                for part in keys.chunks(ROWS_PER_STATEMENT) {
                    table.marked += mark(scan.pool, sql, part).await?;
                }
            }
        }
        if let Some(prover) = scan.prover.filter(|_| table.sampled < cfg.sample) {
            let want = (cfg.sample - table.sampled).min(scan.per_chunk);
            let sample_sql = chunk_sql(&sql.delivered);
            let q = sql
                .bind(
                    sql.bind(
                        sqlx::query(sqlx::AssertSqlSafe(sample_sql.as_str())),
                        &after.binds,
                    ),
                    &upto.binds,
                )
                .bind(want as i64);
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .map_err(DbError::query("reading matching rows for a proof"))?;
            let mut sample = Vec::with_capacity(rows.len());
            for row in &rows {
                sample.push(altered_row(row)?);
            }
            table.sampled += sample.len() as u64;
            let verdicts = prover.ask(&table.table, &sample).await?;
            for (mut row, v) in sample.into_iter().zip(verdicts) {
                if let Some(p) = table.proof.as_mut() {
                    v.count(p);
                }
                // Matched its digest, yet Certyo holds other content: the row and its
                // tracking columns are an older version's (restored from a backup).
                if v == Verdict::Differs {
                    table.altered += 1;
                    table.matching = table.matching.saturating_sub(1);
                    row.proof = Some(format!(
                        "{} (the row matches an older delivered version: restored with its tracking columns?)",
                        v.describe()
                    ));
                    if table.altered_rows.len() < cfg.limit {
                        table.altered_rows.push(row);
                    }
                }
            }
        }
        on_chunk(table);
        *last = Some(end);
    }
}

fn altered_row(row: &MySqlRow) -> Result<AlteredRow, AuditError> {
    let decode = || DbError::query("decoding an audited row");
    Ok(AlteredRow {
        record_id: row.try_get(0).map_err(decode())?,
        status: row.try_get(1).map_err(decode())?,
        delivered_at: row.try_get(2).map_err(decode())?,
        anchored_at: row.try_get(3).map_err(decode())?,
        proof: None,
        payload: row.try_get(4).map_err(decode())?,
    })
}

fn read_key(
    row: Result<Option<MySqlRow>, sqlx::Error>,
    n: usize,
    context: &'static str,
) -> Result<Option<Vec<String>>, AuditError> {
    match row.map_err(DbError::query(context))? {
        None => Ok(None),
        Some(row) => read_key_at(&row, 0, n).map(Some),
    }
}

fn read_key_at(row: &MySqlRow, from: usize, n: usize) -> Result<Vec<String>, AuditError> {
    (from..from + n)
        .map(|i| row.try_get::<String, _>(i))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DbError::query("decoding a primary key")(e).into())
}

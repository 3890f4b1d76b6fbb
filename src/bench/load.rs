//! Writing products rows the way an application would: single-row autocommit INSERTs
//! or multi-row INSERTs, on one connection, timed.

use std::time::{Duration, Instant};

use sqlx::mysql::{MySqlConnection, MySqlPool};

use crate::capture::template::{fill, quote_ident, statement};

const INSERT: &str = include_str!("../../sql/bench_products_insert.sql");

/// The INSERT statement for `rows` rows into `table`.
pub fn insert_sql(table: &str, rows: usize) -> String {
    let one = "(?, ?, ?, ?, ?, ?)";
    let values = vec![one; rows.max(1)].join(", ");
    fill(
        statement(INSERT),
        &[("table", &quote_ident(table)), ("rows", &values)],
    )
}

/// Insert one row per SKU with `sql` (from [`insert_sql`] for `skus.len()` rows): one
/// statement, one autocommit transaction.
pub async fn insert(
    conn: &mut MySqlConnection,
    sql: &str,
    skus: &[String],
) -> Result<(), sqlx::Error> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (i, sku) in skus.iter().enumerate() {
        q = q
            .bind(sku.as_str())
            .bind("Bench product")
            .bind("bench")
            .bind((i % 100) as f64 + 0.5)
            .bind("B-2026-01")
            .bind("2026-01-02 03:04:05");
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// Insert `n` rows into `table`, `per_statement` rows per INSERT, and time it. SKUs are
/// `{prefix}-{i}`.
pub async fn timed_inserts(
    pool: &MySqlPool,
    table: &str,
    prefix: &str,
    n: usize,
    per_statement: usize,
) -> Result<Duration, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let full = insert_sql(table, per_statement);
    let started = Instant::now();
    let mut done = 0;
    while done < n {
        let k = per_statement.min(n - done);
        let skus: Vec<String> = (done..done + k).map(|i| format!("{prefix}-{i}")).collect();
        let sql = if k == per_statement {
            full.clone()
        } else {
            insert_sql(table, k)
        };
        insert(&mut conn, &sql, &skus).await?;
        done += k;
    }
    Ok(started.elapsed())
}

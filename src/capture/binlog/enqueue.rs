//! The binlog reader's statements for captured tables: a table's shape and renderer
//! ([`load_table`], refusing what cannot be rendered like the triggers) and the
//! INSERT of changes into `certyo_queue` (`sql/binlog_enqueue.sql`, its `VALUES` rows
//! from `sql/binlog_fragments.sql`), run inside the reader's enqueue transaction.

use std::collections::HashMap;
use std::sync::LazyLock;

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use crate::capture::binlog_render::{BinlogTable, Change, ColumnExtra};
use crate::capture::template::{fill, fragment, fragments, statement};
use crate::capture::{CaptureError, TableShape};

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../../sql/binlog_fragments.sql")));

/// A captured table read for the binlog reader: its shape and how its row images
/// render; refuses what cannot be rendered exactly like the triggers.
pub async fn load_table(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<(TableShape, BinlogTable), CaptureError> {
    let shape = crate::capture::inspect_existing(conn, schema, name).await?;
    let rows = sqlx::query(include_str!("../../../sql/binlog_table_columns.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db("reading column character sets"))?;
    let mut extra = Vec::new();
    for row in rows {
        let d = || CaptureError::db("decoding column character sets");
        let t: String = row.try_get(0).map_err(d())?;
        if t != name {
            continue;
        }
        let charset: Option<String> = row.try_get(2).map_err(d())?;
        let ex: Option<String> = row.try_get(3).map_err(d())?;
        extra.push(ColumnExtra {
            charset: charset.map(|c| c.to_ascii_lowercase()),
            virtual_generated: ex
                .unwrap_or_default()
                .to_ascii_uppercase()
                .contains("VIRTUAL GENERATED"),
        });
    }
    let table = BinlogTable::new(&shape, &extra)?;
    Ok((shape, table))
}

/// One change's `VALUES` row for a table with these DECIMAL columns (MySQL), and its
/// number of placeholders.
pub fn enqueue_row(decimals: &[(&str, u32, u32)]) -> (String, usize) {
    let payload = if decimals.is_empty() {
        fragment(&FRAGMENTS, "payload_text").to_string()
    } else {
        let pairs: Vec<String> = decimals
            .iter()
            .map(|(name, p, s)| {
                fill(
                    fragment(&FRAGMENTS, "decimal_pair"),
                    &[
                        ("name", name),
                        ("precision", &p.to_string()),
                        ("scale", &s.to_string()),
                    ],
                )
            })
            .collect();
        fill(
            fragment(&FRAGMENTS, "payload_decimals"),
            &[("pairs", &pairs.join(", "))],
        )
    };
    let row = fill(fragment(&FRAGMENTS, "row"), &[("payload", &payload)]);
    (row, 4 + decimals.len())
}

/// Most changes one INSERT carries.
pub const ROWS_PER_INSERT: usize = 200;

/// One change and the `VALUES` row its table uses (from [`enqueue_row`]).
pub struct Enqueue<'a> {
    pub table: &'a str,
    pub row: &'a str,
    pub change: &'a Change,
}

/// Enqueue changes in order, up to [`ROWS_PER_INSERT`] per statement.
pub async fn enqueue(
    conn: &mut MySqlConnection,
    changes: &[Enqueue<'_>],
) -> Result<(), CaptureError> {
    for chunk in changes.chunks(ROWS_PER_INSERT) {
        let rows: Vec<&str> = chunk.iter().map(|e| e.row).collect();
        let sql = fill(
            statement(include_str!("../../../sql/binlog_enqueue.sql")),
            &[("rows", &rows.join(", "))],
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q
                .bind(e.table)
                .bind(&e.change.record_id)
                .bind(e.change.op)
                .bind(&e.change.payload);
            for d in &e.change.decimals {
                q = q.bind(d.clone());
            }
        }
        q.execute(&mut *conn).await.map_err(CaptureError::db(
            "enqueueing changes read from the binary log",
        ))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rows() {
        assert_eq!(
            enqueue_row(&[("d2", 10, 2)]),
            (
                "(?, ?, ?, JSON_SET(CAST(? AS JSON), '$.\"d2\"', CAST(? AS DECIMAL(10, 2))))"
                    .to_string(),
                5
            )
        );
    }
}

//! A captured table's rows by anchoring status (`certyo_anchor_status`), read from its
//! `certyo_verify` index.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::AnchorCounts;
use crate::capture;
use crate::error::DbError;

pub(super) async fn anchor_counts(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<AnchorCounts, DbError> {
    let sql = capture::template::fill(
        include_str!("../../../sql/status_anchor_counts.sql"),
        &[("table", &capture::template::quote_ident(table))],
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .fetch_all(&mut *conn)
        .await
        .map_err(DbError::query("counting rows by anchoring status"))?;
    let mut counts = AnchorCounts::default();
    for row in rows {
        let status: String = row
            .try_get(0)
            .map_err(DbError::query("decoding anchoring counts"))?;
        let n: i64 = row
            .try_get(1)
            .map_err(DbError::query("decoding anchoring counts"))?;
        let n = n.max(0) as u64;
        match status.as_str() {
            "Pending" => counts.pending = n,
            "Anchored" => counts.anchored = n,
            "Failed" => counts.failed = n,
            "Altered" => counts.altered = n,
            _ => {}
        }
    }
    Ok(counts)
}

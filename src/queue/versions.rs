//! Non-locking reads of delivered versions, for the write-back (`crate::writeback`):
//! which queue row is a record's newest live version, and the digest of the payload
//! text a delivered row sent.

use std::collections::HashMap;

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::expand_ids;

/// The newest live (not dead) queue row id of each of `record_ids` of `table`, by
/// record id (a consistent, non-locking read).
pub async fn newest_live(
    conn: &mut MySqlConnection,
    table: &str,
    record_ids: &[&str],
) -> Result<HashMap<String, i64>, sqlx::Error> {
    let sql = expand_ids(
        include_str!("../../sql/queue_select_newest_live.sql"),
        record_ids.len(),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(table);
    for record_id in record_ids {
        q = q.bind(*record_id);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
        .collect()
}

/// The SHA-256 (lowercase hex) of the payload text of each of `queue_ids`, by queue id
/// (a non-locking read; a row already cleaned up has none).
pub async fn payload_digests(
    conn: &mut MySqlConnection,
    queue_ids: &[i64],
) -> Result<HashMap<i64, String>, sqlx::Error> {
    let sql = expand_ids(
        include_str!("../../sql/queue_select_payload_digests.sql"),
        queue_ids.len(),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for id in queue_ids {
        q = q.bind(*id);
    }
    q.fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect()
}

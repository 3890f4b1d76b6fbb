//! Kept write-backs (`certyo_writeback_due`): keeping the ones whose source rows were
//! held, with a growing delay, claiming the due ones for a retry, counting them.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::meta::FRAGMENTS;
use super::{db, Delivered, WriteBackError, DUE_BATCH};
use crate::capture::template::{fill, fragment, statement};

/// First retry of a write-back whose row was held; doubles per attempt up to the cap.
const DUE_FIRST_DELAY: Duration = Duration::from_millis(500);
const DUE_MAX_DELAY: Duration = Duration::from_secs(60);

/// A kept write-back as claimed for a retry.
pub(super) struct DueRow {
    pub item: Delivered,
    pub attempts: u32,
}

/// Write-backs kept for a later try, and the age of the oldest in seconds.
pub async fn due_count(conn: &mut MySqlConnection) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(include_str!("../../sql/writeback_due_count.sql"))
        .fetch_one(conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

/// The delay before the next try of a write-back that was held `attempts` times.
fn due_delay(attempts: u32) -> Duration {
    DUE_FIRST_DELAY
        .saturating_mul(1u32 << attempts.min(10))
        .min(DUE_MAX_DELAY)
}

pub(super) async fn defer(
    conn: &mut MySqlConnection,
    items: &[Delivered],
    attempts: &HashMap<i64, u32>,
) -> Result<(), WriteBackError> {
    let values = vec![fragment(&FRAGMENTS, "due_row"); items.len()].join(", ");
    let sql = fill(
        statement(include_str!("../../sql/writeback_due_defer.sql")),
        &[("values", &values)],
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for item in items {
        let delay = due_delay(attempts.get(&item.queue_id).copied().unwrap_or(0));
        q = q
            .bind(item.queue_id)
            .bind(item.table.as_str())
            .bind(item.record_id.as_str())
            .bind(item.record_hash.as_deref())
            .bind(i64::try_from(delay.as_micros()).unwrap_or(i64::MAX))
            .bind("source row held by another transaction");
    }
    q.execute(&mut *conn)
        .await
        .map_err(db("keeping write-backs for a later try"))?;
    tracing::info!(
        event = "writeback.deferred",
        rows = items.len(),
        "source rows held by another transaction; their write-back is kept and retried"
    );
    Ok(())
}

pub(super) async fn claim_due(conn: &mut MySqlConnection) -> Result<Vec<DueRow>, WriteBackError> {
    let rows = sqlx::query(include_str!("../../sql/writeback_due_claim.sql"))
        .bind(DUE_BATCH as u64)
        .fetch_all(&mut *conn)
        .await
        .map_err(db("claiming kept write-backs"))?;
    rows.iter()
        .map(|r| {
            Ok(DueRow {
                item: Delivered {
                    queue_id: r.try_get(0)?,
                    table: r.try_get(1)?,
                    record_id: r.try_get(2)?,
                    record_hash: r.try_get(3)?,
                    payload_sha256: None,
                },
                attempts: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db("decoding kept write-backs"))
}

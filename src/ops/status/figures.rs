//! The queue's figures in the status report, from the statements of `queue::inspect`:
//! totals, per-table in flight / retrying / dead, the oldest row's age, recent
//! deliveries.

use std::collections::BTreeMap;

use sqlx::mysql::MySqlConnection;

use super::{QueueStatus, TableQueue};
use crate::error::DbError;
use crate::queue::inspect;

/// Queue totals plus the per-table figures that are cheap to get (see the SQL files).
pub(super) async fn queue_counts(
    conn: &mut MySqlConnection,
) -> Result<(QueueStatus, BTreeMap<String, TableQueue>), DbError> {
    let totals = inspect::undelivered(&mut *conn).await?;
    let mut tables: BTreeMap<String, TableQueue> = BTreeMap::new();
    for row in inspect::not_ready_by_table(&mut *conn).await? {
        let t = tables.entry(row.table).or_default();
        t.in_flight = count(row.in_flight);
        t.retrying = count(row.retrying);
    }
    for (table, dead) in inspect::dead_by_table(&mut *conn).await? {
        let t = tables.entry(table).or_default();
        t.dead = count(dead);
    }
    let oldest_us: Option<i64> = match totals.oldest_id {
        None => None,
        Some(id) => inspect::row_age_micros(&mut *conn, id).await?,
    };
    let in_flight: u64 = tables.values().map(|t| t.in_flight).sum();
    let queue = QueueStatus {
        pending: count(totals.undelivered)
            .saturating_sub(count(totals.dead))
            .saturating_sub(in_flight),
        in_flight,
        retrying: tables.values().map(|t| t.retrying).sum(),
        dead: count(totals.dead),
        oldest_pending_age_seconds: oldest_us.map(|us| us.max(0) as f64 / 1e6),
        ..QueueStatus::default()
    };
    Ok((queue, tables))
}

pub(super) fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// Deliveries in the last hour and the last 24 hours.
pub(super) async fn delivered(conn: &mut MySqlConnection) -> Result<(u64, u64), DbError> {
    let (h1, h24) = inspect::delivered_recently(conn).await?;
    Ok((h1.max(0) as u64, h24.max(0) as u64))
}

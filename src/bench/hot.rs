//! Hot records: many events for few records, all queued before `work` starts (a
//! counter, a stock level, a status flag). Per-record order allows one event of a record
//! in flight at a time, so this measures how fast a record's next event follows the
//! previous one: events per second per record, and the server's row lock waits during
//! the drain (a claim, park or settle that waited for a lock would show here).

use std::time::Duration;

use serde::Serialize;
use sqlx::mysql::MySqlPool;

use super::load;
use super::scratch::{Scratch, CAPTURED};

const IDS: &str = include_str!("../../sql/bench_hot_ids.sql");
const UPDATE: &str = include_str!("../../sql/bench_hot_update.sql");
const ROW_LOCK_WAITS: &str = include_str!("../../sql/bench_row_lock_waits.sql");

#[derive(Debug, Clone, Serialize)]
pub struct HotPoint {
    /// Distinct records.
    pub records: usize,
    /// Queue rows drained: one insert per record plus the updates.
    pub events: usize,
    pub seconds: f64,
    pub events_per_s: f64,
    pub events_per_s_per_record: f64,
    /// Server-wide InnoDB row lock waits during the drain (all sessions of the server).
    pub server_row_lock_waits: Option<i64>,
}

/// Queue `records` new products rows and `updates` changes spread evenly over them
/// (multi-row UPDATEs, one per round of changes). Returns the events queued.
pub async fn enqueue(
    s: &Scratch,
    tag: &str,
    records: usize,
    updates: usize,
) -> anyhow::Result<usize> {
    let prefix = format!("HOT{tag}");
    load::timed_inserts(&s.pool, CAPTURED, &prefix, records, records).await?;
    let (lo, hi): (Option<i32>, Option<i32>) = sqlx::query_as(IDS)
        .bind(format!("{prefix}-%"))
        .fetch_one(&s.pool)
        .await?;
    let (Some(lo), Some(hi)) = (lo, hi) else {
        anyhow::bail!("the hot rows just inserted are missing");
    };
    let rounds = updates.div_ceil(records.max(1));
    let mut conn = s.pool.acquire().await?;
    for i in 0..rounds {
        sqlx::query(UPDATE)
            .bind(1000.0 + i as f64 + 0.25)
            .bind(lo)
            .bind(hi)
            .execute(&mut *conn)
            .await?;
    }
    Ok(records + rounds * records)
}

/// The server's row lock wait counter, if it can be read.
pub async fn row_lock_waits(pool: &MySqlPool) -> Option<i64> {
    let (_, value): (String, String) = sqlx::query_as(ROW_LOCK_WAITS).fetch_one(pool).await.ok()?;
    value.parse().ok()
}

pub fn point(records: usize, events: usize, took: Duration, waits: Option<i64>) -> HotPoint {
    let secs = took.as_secs_f64().max(1e-9);
    HotPoint {
        records,
        events,
        seconds: took.as_secs_f64(),
        events_per_s: events as f64 / secs,
        events_per_s_per_record: events as f64 / secs / records.max(1) as f64,
        server_row_lock_waits: waits,
    }
}

//! Commit → 202 latency at a steady offered load.
//!
//! Method: the inserter writes `rate` rows per second in small autocommit INSERTs (one
//! every 10 ms, each holding the rows due by then), and notes the wall-clock time right
//! after each INSERT returns: that is the rows' commit time. The emulator, in this same
//! process and on the same clock, stamps every version it accepts (`acceptedAt`, ms
//! precision) just before answering 202. Rows are matched by SKU (unique per row, part
//! of the payload). Latency = acceptedAt − commit time, so it includes the worker's
//! idle polling, the claim, the HTTP call, and nothing of the write-back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::mysql::MySqlPool;

use super::load;
use super::scratch::CAPTURED;
use crate::emulator::EmulatorHandle;

const TICK: Duration = Duration::from_millis(10);
/// Most rows in one INSERT when the inserter has fallen behind.
const MAX_PER_INSERT: usize = 500;

#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    pub offered_rows_per_s: u32,
    /// What the inserter actually achieved.
    pub inserted_rows_per_s: f64,
    pub rows: usize,
    /// Rows found at the emulator (the rest are missing: should be 0).
    pub measured: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Insert at `rate` rows/s for `duration` into the captured table. Returns each row's
/// SKU with its commit time.
pub async fn insert_steadily(
    pool: &MySqlPool,
    rate: u32,
    duration: Duration,
) -> Result<(HashMap<String, DateTime<Utc>>, Duration), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut committed = HashMap::new();
    let mut sql_cache: HashMap<usize, String> = HashMap::new();
    let started = Instant::now();
    let mut sent = 0usize;
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while started.elapsed() < duration {
        ticker.tick().await;
        let due = (started.elapsed().min(duration).as_secs_f64() * f64::from(rate)) as usize;
        let n = due.saturating_sub(sent).min(MAX_PER_INSERT);
        if n == 0 {
            continue;
        }
        let skus: Vec<String> = (sent..sent + n).map(|i| format!("LAT-{i}")).collect();
        let sql = sql_cache
            .entry(n)
            .or_insert_with(|| load::insert_sql(CAPTURED, n));
        load::insert(&mut conn, sql, &skus).await?;
        let at = Utc::now();
        committed.extend(skus.into_iter().map(|s| (s, at)));
        sent += n;
    }
    Ok((committed, started.elapsed()))
}

/// Match the committed rows against what the emulator accepted.
pub fn measure(
    committed: &HashMap<String, DateTime<Utc>>,
    emulator: &EmulatorHandle,
    rate: u32,
    took: Duration,
) -> LatencyReport {
    let mut ms: Vec<f64> = Vec::with_capacity(committed.len());
    for record in emulator.inspect().records {
        // Each row's first version is its insert.
        let Some(v) = record.versions.first() else {
            continue;
        };
        let Some(sku) = v.payload.get("sku").and_then(|s| s.as_str()) else {
            continue;
        };
        let (Some(commit), Ok(accepted)) = (
            committed.get(sku),
            DateTime::parse_from_rfc3339(&v.accepted_at),
        ) else {
            continue;
        };
        let d = accepted.with_timezone(&Utc) - *commit;
        ms.push(d.num_microseconds().unwrap_or(0) as f64 / 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    LatencyReport {
        offered_rows_per_s: rate,
        inserted_rows_per_s: committed.len() as f64 / took.as_secs_f64().max(1e-9),
        rows: committed.len(),
        measured: ms.len(),
        p50_ms: percentile(&ms, 50.0),
        p95_ms: percentile(&ms, 95.0),
        p99_ms: percentile(&ms, 99.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
    }
}

/// Nearest-rank percentile of sorted values (0 when empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&v, 100.0), 100.0);
        assert_eq!(percentile(&[], 99.0), 0.0);
    }
}

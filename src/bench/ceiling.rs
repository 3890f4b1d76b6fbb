//! The database's own limit: the worker's claim → complete loop (and optionally the
//! write-back) in plain SQL, same batch size and concurrency, no HTTP. Whatever the
//! drain reaches is compared against this.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPool;

use crate::queue;
use crate::writeback::{self, Delivered};

/// A hash shaped like Certyo's (64 hex digits), written back by the ceiling run.
const FAKE_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Drain every claimable row with `concurrency` loops of claim(batch) → complete
/// [with the write-back in the same transaction, as the worker does]. Returns the rows completed and the wall time.
pub async fn drain(
    pool: &MySqlPool,
    schema: &str,
    concurrency: usize,
    batch: usize,
    with_writeback: bool,
) -> anyhow::Result<(u64, Duration)> {
    let started = Instant::now();
    let schema: Arc<str> = Arc::from(schema);
    let mut tasks = tokio::task::JoinSet::new();
    for idx in 0..concurrency {
        let pool = pool.clone();
        let schema = Arc::clone(&schema);
        tasks.spawn(async move { one_loop(&pool, &schema, idx, batch, with_writeback).await });
    }
    let mut total = 0;
    while let Some(joined) = tasks.join_next().await {
        total += joined??;
    }
    Ok((total, started.elapsed()))
}

async fn one_loop(
    pool: &MySqlPool,
    schema: &str,
    idx: usize,
    batch: usize,
    with_writeback: bool,
) -> anyhow::Result<u64> {
    let mut done = 0;
    let mut seq = 0u64;
    loop {
        seq += 1;
        let owner = format!("bench/{idx}/{seq}");
        let claimed =
            match queue::claim(pool, &owner, batch, Duration::from_secs(60), u32::MAX).await {
                Ok(c) => c,
                Err(e) if queue::is_lock_conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            };
        // Empty: every row left is leased by another loop, which will finish it.
        if claimed.rows.is_empty() {
            return Ok(done);
        }
        let ids: Vec<i64> = claimed.rows.iter().map(|r| r.id).collect();
        if with_writeback {
            // As the worker does it: delivered and written back in one transaction.
            let items: Vec<Delivered> = claimed
                .rows
                .iter()
                .map(|r| Delivered {
                    queue_id: r.id,
                    table: r.table_name.clone(),
                    record_id: r.record_id.clone(),
                    record_hash: Some(FAKE_HASH.to_string()),
                    payload_sha256: r.payload.as_deref().map(writeback::payload_sha256),
                })
                .collect();
            done += writeback::complete_and_write_back(pool, schema, &ids, &owner, &items)
                .await?
                .0;
        } else {
            done += queue::complete(pool, &ids, &owner).await?;
        }
    }
}

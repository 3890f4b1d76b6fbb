//! The poll phase of `bench`: a table captured by polling (`migrate --capture poll
//! --create-index`) in the scratch database.
//! - idle round: `--poll-idle-rows` rows written before the capture started (history,
//!   outside the window), then poll rounds with nothing changed: the time of one round
//!   (median of [`IDLE_ROUNDS`]), next to the time of one full scan of the same table,
//!   so their ratio shows the round is an index range scan, not a table scan;
//! - enqueue rate: `--rows` new rows written with 500-row INSERTs, then poll rounds
//!   until all are enqueued: rows enqueued per second by the poller.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::load;
use super::scratch::Scratch;
use crate::capture::registry::Source;
use crate::capture::template::{fill, quote_ident, statement};
use crate::migrate::{self, MigratePlan};
use crate::tasks::{PollConfig, Poller};

/// The polled scratch table.
pub const POLLED: &str = "products_polled";
const IDLE_ROUNDS: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct PollBenchReport {
    /// Rows in the table during the idle rounds.
    pub idle_rows: usize,
    /// Median time of one poll round with nothing to enqueue.
    pub idle_round_ms: f64,
    /// One full scan of the same table, for comparison.
    pub full_scan_ms: f64,
    /// Rows enqueued by the enqueue-rate measurement.
    pub enqueued: u64,
    pub enqueue_seconds: f64,
    pub enqueued_rows_per_s: f64,
}

pub async fn measure(
    s: &Scratch,
    idle_rows: usize,
    rows: usize,
) -> anyhow::Result<PollBenchReport> {
    let table = quote_ident(POLLED);
    let ddl = fill(
        statement(include_str!("../../sql/example_products.sql")),
        &[("table", &table)],
    );
    sqlx::query(sqlx::AssertSqlSafe(ddl.as_str()))
        .execute(&s.pool)
        .await?;
    load::timed_inserts(&s.pool, POLLED, "H", idle_rows, 500).await?;
    // The history's stamps must fall before the poll floor (one second before migrate;
    // TIMESTAMP(0) rounds to the second).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    migrate::run(
        &s.pool,
        &MigratePlan {
            tables: vec![POLLED.to_string()],
            capture: Some(Source::Poll),
            create_index: true,
            ..Default::default()
        },
    )
    .await?;
    let poller = Poller::new(s.pool.clone(), s.name.clone(), PollConfig::default())?;
    let stop = CancellationToken::new();
    let mut rounds = Vec::with_capacity(IDLE_ROUNDS);
    for _ in 0..IDLE_ROUNDS {
        let started = Instant::now();
        let r = poller.run_once(&stop).await?;
        rounds.push(started.elapsed());
        if r.enqueued != 0 {
            anyhow::bail!("an idle poll round enqueued {} rows", r.enqueued);
        }
    }
    rounds.sort();
    let idle = rounds[rounds.len() / 2];
    let scan_sql = fill(
        statement(include_str!("../../sql/bench_poll_full_scan.sql")),
        &[("table", &table)],
    );
    let started = Instant::now();
    sqlx::query(sqlx::AssertSqlSafe(scan_sql.as_str()))
        .fetch_one(&s.pool)
        .await?;
    let scan = started.elapsed();

    load::timed_inserts(&s.pool, POLLED, "P", rows, 500).await?;
    let started = Instant::now();
    let mut enqueued = 0u64;
    let deadline = started + Duration::from_secs(600);
    while enqueued < rows as u64 && Instant::now() < deadline {
        enqueued += poller.run_once(&stop).await?.enqueued;
    }
    let took = started.elapsed();
    Ok(PollBenchReport {
        idle_rows,
        idle_round_ms: idle.as_secs_f64() * 1000.0,
        full_scan_ms: scan.as_secs_f64() * 1000.0,
        enqueued,
        enqueue_seconds: took.as_secs_f64(),
        enqueued_rows_per_s: enqueued as f64 / took.as_secs_f64().max(1e-9),
    })
}

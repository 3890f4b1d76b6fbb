//! The binlog phase of `bench`: a table captured from the binary log (`migrate --capture
//! binlog`) in the scratch database, the reader running in this process as `work` runs
//! it. Skipped, with the reason, on a server without binary logging (the refusal
//! `migrate` would print).
//! - insert rate: single-row autocommit INSERTs into the binlog-captured table while the
//!   reader runs, against the same into `products_plain` (not captured; binary logging
//!   on for both), best of two rounds each; ratio = captured / plain.
//! - commit -> enqueued: single-row INSERTs at 200/s for 5 s; a watcher reads new queue
//!   rows every 5 ms; latency = first seen - the INSERT's return (so it includes up to
//!   5 ms of watcher delay).
//! - burst: 4 connections write `--rows` rows (at least 20,000) with 500-row INSERTs as
//!   fast as they can while the reader runs; catch-up = from the end of the burst until
//!   every row is queued.
//! - reader CPU: 10,000 rows written with the reader stopped, then the reader started:
//!   this process's CPU time (user + system) until all are queued (the reader and its
//!   enqueue statements; no writer runs then).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use tokio_util::sync::CancellationToken;

use super::load;
use super::procfs::CpuMark;
use super::scratch::{Scratch, PLAIN};
use crate::capture::registry::Source;
use crate::capture::template::{fill, quote_ident, statement};
use crate::migrate::{self, MigratePlan};
use crate::queue;
use crate::tasks::{BinlogConfig, BinlogReader};

/// The binlog-captured scratch table.
pub const BINLOGGED: &str = "products_binlog";
pub const WRITERS: usize = 4;
const CPU_ROWS: usize = 10_000;

#[derive(Debug, Clone, Default, Serialize)]
pub struct BinlogBenchReport {
    /// Why the phase did not run (e.g. binary logging off), else null.
    pub skipped: Option<String>,
    pub single_rows: usize,
    pub plain_rows_per_s: f64,
    pub captured_rows_per_s: f64,
    /// captured / plain (target >= 0.95).
    pub insert_ratio: f64,
    pub latency_samples: usize,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub burst_rows: usize,
    pub burst_write_rows_per_s: f64,
    /// From the end of the burst until every row is queued (target <= 1 s).
    pub catch_up_after_burst_s: f64,
    pub reader_cpu_s_per_10k: Option<f64>,
}

fn reader_loop(reader: BinlogReader, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            if let Err(e) = reader.run_once(&stop).await {
                tracing::warn!(error = %e, "bench: binlog reader run failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    })
}

async fn queued(s: &Scratch) -> anyhow::Result<i64> {
    Ok(queue::scratch::table_count(&s.pool, BINLOGGED).await?)
}

async fn wait_queued(s: &Scratch, n: i64, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while queued(s).await? < n {
        if started.elapsed() > limit {
            anyhow::bail!(
                "binlog reader: {} of {n} rows queued after {limit:?}",
                queued(s).await?
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(started.elapsed())
}

pub async fn measure(s: &Scratch, rows: usize) -> anyhow::Result<BinlogBenchReport> {
    {
        let mut conn = s.pool.acquire().await?;
        if let Err(e) = crate::capture::binlog::check_server(&mut conn).await {
            return Ok(BinlogBenchReport {
                skipped: Some(e.to_string()),
                ..BinlogBenchReport::default()
            });
        }
    }
    let ddl = fill(
        statement(include_str!("../../sql/example_products.sql")),
        &[("table", &quote_ident(BINLOGGED))],
    );
    sqlx::query(sqlx::AssertSqlSafe(ddl.as_str()))
        .execute(&s.pool)
        .await?;
    migrate::run(
        &s.pool,
        &MigratePlan {
            tables: vec![BINLOGGED.to_string()],
            capture: Some(Source::Binlog),
            ..Default::default()
        },
    )
    .await?;
    let reader = BinlogReader::new(
        s.pool.clone(),
        s.cfg.clone(),
        BinlogConfig {
            run_for: Duration::from_millis(500),
            ..BinlogConfig::default()
        },
    )?;
    let stop = CancellationToken::new();
    let task = reader_loop(reader.clone(), stop.clone());
    let mut expected = 0i64;

    // Insert rate, plain vs captured, best of two rounds each.
    let single = rows.clamp(1, 5000);
    let mut plain = Duration::MAX;
    let mut captured = Duration::MAX;
    for round in 0..2 {
        plain =
            plain.min(load::timed_inserts(&s.pool, PLAIN, &format!("BP{round}"), single, 1).await?);
        captured = captured
            .min(load::timed_inserts(&s.pool, BINLOGGED, &format!("BC{round}"), single, 1).await?);
        expected += single as i64;
    }
    wait_queued(s, expected, Duration::from_secs(120)).await?;
    let rate = |d: Duration| single as f64 / d.as_secs_f64().max(1e-9);

    // Commit -> enqueued.
    let (lat_samples, p50, p99) = latency(s, &mut expected).await?;

    // Burst from several connections.
    let burst_rows = rows.max(20_000);
    let per_writer = burst_rows / WRITERS;
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let pool = s.pool.clone();
        writers.push(tokio::spawn(async move {
            load::timed_inserts(&pool, BINLOGGED, &format!("BB{w}"), per_writer, 500).await
        }));
    }
    for w in writers {
        w.await??;
    }
    let write_took = started.elapsed();
    expected += (per_writer * WRITERS) as i64;
    let catch_up = wait_queued(s, expected, Duration::from_secs(300)).await?;

    // Reader CPU per 10,000 rows: written first, read alone.
    stop.cancel();
    let _ = task.await;
    load::timed_inserts(&s.pool, BINLOGGED, "BCPU", CPU_ROWS, 500).await?;
    expected += CPU_ROWS as i64;
    let mark = CpuMark::start(Some(std::process::id()));
    let stop = CancellationToken::new();
    let task = reader_loop(reader, stop.clone());
    wait_queued(s, expected, Duration::from_secs(300)).await?;
    let cpu = mark.elapsed();
    stop.cancel();
    let _ = task.await;

    Ok(BinlogBenchReport {
        skipped: None,
        single_rows: single,
        plain_rows_per_s: rate(plain),
        captured_rows_per_s: rate(captured),
        insert_ratio: rate(captured) / rate(plain).max(1e-9),
        latency_samples: lat_samples,
        latency_p50_ms: p50,
        latency_p99_ms: p99,
        burst_rows: per_writer * WRITERS,
        burst_write_rows_per_s: (per_writer * WRITERS) as f64 / write_took.as_secs_f64().max(1e-9),
        catch_up_after_burst_s: catch_up.as_secs_f64(),
        reader_cpu_s_per_10k: cpu.map(|c| c / CPU_ROWS as f64 * 10_000.0),
    })
}

/// Single-row INSERTs at 200/s for 5 s; (samples, p50 ms, p99 ms).
async fn latency(s: &Scratch, expected: &mut i64) -> anyhow::Result<(usize, f64, f64)> {
    let start_id = queue::scratch::max_id(&s.pool).await?;
    let sql = load::insert_sql(BINLOGGED, 1);
    let mut conn = s.pool.acquire().await?;
    let mut committed: HashMap<String, Instant> = HashMap::new();
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let mut last_id = start_id;
    let n = 1000usize;
    let began = Instant::now();
    let mut next_watch = Instant::now();
    for i in 0..n {
        let due = began + Duration::from_millis(5 * i as u64);
        while Instant::now() < due {
            if Instant::now() >= next_watch {
                watch(s, &mut last_id, &mut seen).await?;
                next_watch = Instant::now() + Duration::from_millis(5);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let sku = format!("BL-{i}");
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(sku.as_str())
            .bind("Bench product")
            .bind("bench")
            .bind(0.5f64)
            .bind("B-2026-01")
            .bind("2026-01-02 03:04:05")
            .execute(&mut *conn)
            .await?;
        committed.insert(r.last_insert_id().to_string(), Instant::now());
    }
    *expected += n as i64;
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen.len() < n && Instant::now() < deadline {
        watch(s, &mut last_id, &mut seen).await?;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut ms: Vec<f64> = committed
        .iter()
        .filter_map(|(k, c)| {
            seen.get(k)
                .map(|s| s.saturating_duration_since(*c).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        if ms.is_empty() {
            0.0
        } else {
            ms[((ms.len() as f64 * p).ceil() as usize).clamp(1, ms.len()) - 1]
        }
    };
    Ok((ms.len(), pct(0.5), pct(0.99)))
}

async fn watch(
    s: &Scratch,
    last_id: &mut i64,
    seen: &mut HashMap<String, Instant>,
) -> anyhow::Result<()> {
    let rows = queue::scratch::rows_after(&s.pool, BINLOGGED, *last_id).await?;
    let now = Instant::now();
    for (id, record) in rows {
        *last_id = (*last_id).max(id);
        seen.entry(record).or_insert(now);
    }
    Ok(())
}

//! The measuring steps `run` strings together: capture overhead, the database limit,
//! one drain by a `work` child, latency at a steady load, and resetting the queue
//! between them (through `queue::scratch`).

use std::time::{Duration, Instant};

use super::child::{self, WorkChild};
use super::latency::{self, LatencyReport};
use super::procfs::CpuMark;
use super::scratch::{Scratch, CAPTURED, PLAIN};
use super::{ceiling, load, CaptureReport, InsertPair, Rate, ROWS_PER_INSERT, SINGLE_SAMPLE};
use crate::cli::{BenchArgs, DeliveryArgs};
use crate::emulator::{self, EmulatorConfig};
use crate::queue;

pub(super) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

pub(super) fn rate(rows: usize, took: Duration) -> f64 {
    rows as f64 / took.as_secs_f64().max(1e-9)
}

pub(super) async fn capture_overhead(s: &Scratch, rows: usize) -> anyhow::Result<CaptureReport> {
    let sample = rows.min(SINGLE_SAMPLE);
    let plain_1 = load::timed_inserts(&s.pool, PLAIN, "S", sample, 1).await?;
    let captured_1 = load::timed_inserts(&s.pool, CAPTURED, "S", sample, 1).await?;
    // The queue now holds the sample's rows; the rest of the run wants exactly `rows`.
    queue::scratch::clear(&s.pool).await?;
    let plain_n = load::timed_inserts(&s.pool, PLAIN, "M", rows, ROWS_PER_INSERT).await?;
    let captured_n = load::timed_inserts(&s.pool, CAPTURED, "M", rows, ROWS_PER_INSERT).await?;
    let pair = |n, plain: Duration, captured: Duration| InsertPair {
        rows: n,
        plain_rows_per_s: rate(n, plain),
        captured_rows_per_s: rate(n, captured),
        slowdown: captured.as_secs_f64() / plain.as_secs_f64().max(1e-9),
    };
    Ok(CaptureReport {
        single_row: pair(sample, plain_1, captured_1),
        multi_row: pair(rows, plain_n, captured_n),
        rows_per_insert: ROWS_PER_INSERT,
    })
}

/// Make up to `n` delivered rows pending again.
pub(super) async fn reset(s: &Scratch, n: usize) -> anyhow::Result<()> {
    queue::scratch::reset_delivered(&s.pool, n as u64).await?;
    Ok(())
}

pub(super) async fn measure_limit(
    s: &Scratch,
    d: &DeliveryArgs,
    db_pid: Option<u32>,
    with_writeback: bool,
) -> anyhow::Result<Rate> {
    let db_cpu = CpuMark::start(db_pid);
    let (rows, took) = ceiling::drain(
        &s.pool,
        &s.name,
        d.concurrency,
        d.batch_size,
        with_writeback,
    )
    .await?;
    Ok(Rate {
        rows,
        seconds: took.as_secs_f64(),
        rows_per_s: rows as f64 / took.as_secs_f64().max(1e-9),
        db_cpu_s_per_10k: db_cpu.elapsed().map(|c| c / rows.max(1) as f64 * 10_000.0),
    })
}

/// Drain `rows` pending rows with a `work` child at `concurrency` against a fresh
/// emulator.
pub(super) async fn drain_once(
    s: &Scratch,
    d: &DeliveryArgs,
    concurrency: usize,
    rows: usize,
    db_pid: Option<u32>,
) -> anyhow::Result<(Rate, child::Usage)> {
    let emu = emulator::start(EmulatorConfig::default()).await?;
    let db_cpu = CpuMark::start(db_pid);
    let started = Instant::now();
    let mut work = WorkChild::spawn(&s.url, &emu.url(), d, concurrency)?;
    let deadline = Duration::from_secs(120) + Duration::from_millis(rows as u64 * 2);
    let waited = work.wait_drained(&s.pool, deadline).await;
    let took = started.elapsed();
    let db_cpu_s = db_cpu.elapsed();
    let usage = work.usage();
    tracing::debug!(event = "bench.drained", pid = work.pid(), ?took);
    work.stop().await;
    emu.stop().await;
    waited?;
    Ok((
        Rate {
            rows: rows as u64,
            seconds: took.as_secs_f64(),
            rows_per_s: rate(rows, took),
            db_cpu_s_per_10k: db_cpu_s.map(|c| c / rows as f64 * 10_000.0),
        },
        usage,
    ))
}

pub(super) async fn measure_latency(
    s: &Scratch,
    d: &DeliveryArgs,
    args: &BenchArgs,
) -> anyhow::Result<LatencyReport> {
    let emu = emulator::start(EmulatorConfig::default()).await?;
    let mut work = WorkChild::spawn(&s.url, &emu.url(), d, d.concurrency)?;
    // One row through first, so the worker is up before the clock matters.
    load::timed_inserts(&s.pool, CAPTURED, "WARM", 1, 1).await?;
    work.wait_drained(&s.pool, Duration::from_secs(60)).await?;
    let (committed, took) =
        latency::insert_steadily(&s.pool, args.latency_rate, args.latency_duration).await?;
    work.wait_drained(&s.pool, Duration::from_secs(120)).await?;
    let report = latency::measure(&committed, &emu, args.latency_rate, took);
    work.stop().await;
    emu.stop().await;
    Ok(report)
}

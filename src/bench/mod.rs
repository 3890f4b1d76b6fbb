//! `certyo-queue bench`: what a deployment can expect, measured end to end on this
//! machine against the database's own limit in the same run (absolute figures drift on
//! shared machines; ratios hold).
//!
//! Start-up sequence, in [`run`]: scratch database (`scratch`) → capture overhead
//! (`load`) → database limit (`ceiling`) → drain by a `work` child process (`child`)
//! against the in-process emulator → latency at a steady load (`latency`) → scale
//! points. The scratch database is dropped at the end, also after an error or Ctrl-C.
//!
//! Which figure is which:
//! - capture: rows/s of single-row autocommit INSERTs (a sample of min(rows, 5000)) and
//!   of 500-row INSERTs, into `products` (captured) and `products_plain` (not captured,
//!   no tracking columns); slowdown = plain rate / captured rate.
//! - limit: `queue::claim` → `queue::complete` at the same batch size and concurrency,
//!   no HTTP; once without and once with `writeback::write_back`. The worker does the
//!   write-back, so the ratio uses the limit *with* it.
//! - drain, scale: from spawning `work` until no row is pending or leased (process
//!   start-up included; the last batch's write-back may end a few ms later).
//! - poll: `poll` (capture by polling): one idle round on a `--poll-idle-rows` table
//!   vs one full scan of it, and rows/s enqueued by the poller.
//! - binlog: `binlog` (capture from the binary log): insert rate with and without it,
//!   commit -> enqueued, catch-up after a burst, reader CPU per 10,000 rows.
//! - resources: CPU time (user + system) and VmHWM of the `work` process only; the
//!   database server's CPU over the same interval when it runs on this machine.
//! - hot records (`hot`): updates to 5 rows and to 1 row, queued before `work` starts;
//!   events/s per record, from spawning `work` until drained.
//! - guide baseline (`guide`): the public guide's poller on a copy of the same rows,
//!   against a fresh emulator, compared with a drain by `work` of as many rows.

mod binlog;
mod ceiling;
mod child;
mod guide;
mod hot;
mod latency;
mod load;
mod poll;
mod procfs;
mod scratch;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use self::child::WorkChild;
use self::latency::LatencyReport;
use self::procfs::CpuMark;
use self::scratch::{Scratch, CAPTURED, PLAIN};
use crate::cli::{BenchArgs, DeliveryArgs};
use crate::config::DbConfig;
use crate::emulator::{self, EmulatorConfig};

const SINGLE_SAMPLE: usize = 5000;
const ROWS_PER_INSERT: usize = 500;

/// Targets from issue 7 (reported, never asserted).
const TARGET_DRAIN: f64 = 10_000.0;
const TARGET_RATIO: f64 = 0.7;
const TARGET_P99_MS: f64 = 250.0;
const TARGET_RSS_MIB: f64 = 64.0;
/// Hot-record points: (records, updates) — issue 15's 5,000 updates to 5 rows, and one
/// record on its own.
const HOT_POINTS: [(usize, usize); 2] = [(5, 5000), (1, 1000)];
const TARGET_HOT_PER_RECORD: f64 = 200.0;
/// Rows the guide's poller drains (at most `--rows`).
const GUIDE_ROWS: usize = 20_000;
const TARGET_GUIDE_RATIO: f64 = 5.0;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub server: String,
    /// The scratch database (dropped when the run ends).
    pub database: String,
    pub rows: usize,
    pub concurrency: usize,
    pub batch_size: usize,
    pub capture: CaptureReport,
    pub limit: LimitReport,
    pub drain: DrainReport,
    pub latency: LatencyReport,
    pub scale: Vec<ScalePoint>,
    pub hot: Vec<hot::HotPoint>,
    pub guide: GuideReport,
    /// Capture by polling: idle round cost and enqueue rate.
    pub poll: poll::PollBenchReport,
    /// Capture from the binary log: insert rate, commit -> enqueued, burst catch-up,
    /// reader CPU (skipped, with the reason, without binary logging).
    pub binlog: binlog::BinlogBenchReport,
    pub targets: Targets,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuideReport {
    pub rows: usize,
    pub guide_rows_per_s: f64,
    /// `work` at the configured concurrency on as many rows, start-up included.
    pub work_rows_per_s: f64,
    pub ratio: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InsertPair {
    pub rows: usize,
    pub plain_rows_per_s: f64,
    pub captured_rows_per_s: f64,
    /// plain rate / captured rate: how many times longer a captured write takes.
    pub slowdown: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    pub single_row: InsertPair,
    pub multi_row: InsertPair,
    pub rows_per_insert: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_s: f64,
    /// Database server CPU seconds per 10,000 rows (None if it is not on this machine).
    pub db_cpu_s_per_10k: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LimitReport {
    pub claim_complete: Rate,
    pub claim_complete_writeback: Rate,
    /// Which of the two the drain ratio uses.
    pub ceiling: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    pub rows: usize,
    pub delivered: i64,
    pub dead: i64,
    pub seconds: f64,
    pub rows_per_s: f64,
    pub ratio_to_limit: f64,
    pub worker_cpu_s_per_10k: Option<f64>,
    pub worker_peak_rss_mib: Option<f64>,
    pub db_cpu_s_per_10k: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalePoint {
    pub concurrency: usize,
    pub rows: usize,
    pub rows_per_s: f64,
    pub worker_cpu_s_per_10k: Option<f64>,
    pub worker_peak_rss_mib: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Targets {
    pub drain_at_least_10k_rows_per_s: bool,
    pub drain_at_least_0_7_of_limit: bool,
    pub p99_at_most_250_ms: bool,
    pub peak_rss_at_most_64_mib: Option<bool>,
    pub hot_record_at_least_200_events_per_s: bool,
    pub five_hot_rows_5000_updates_under_10_s: bool,
    pub at_least_5x_the_guide: bool,
}

/// `certyo-queue bench`.
pub async fn run_cli(args: &BenchArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    validate(args)?;
    let cfg = DbConfig::from_args(&args.db)?;
    let pool_size = (args.delivery.concurrency.max(16) + 4) as u32;
    let scratch = Scratch::create(&args.db.database_url, &cfg, pool_size).await?;
    tracing::info!(event = "bench.start", database = %scratch.cfg, rows = args.rows, "bench: scratch database created");
    let result = tokio::select! {
        r = run(&scratch, args) => r,
        _ = stop.cancelled() => Err(anyhow::anyhow!("interrupted")),
    };
    scratch.drop_database().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", render(&report, args));
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(args: &BenchArgs) -> anyhow::Result<()> {
    crate::delivery::config::WorkerConfig::from_args(&args.delivery, Duration::from_secs(30))?;
    if args.rows == 0 {
        anyhow::bail!("--rows must be at least 1");
    }
    if args.latency_rate == 0 || args.latency_duration.is_zero() {
        anyhow::bail!("--latency-rate and --latency-duration must be above zero");
    }
    if args.scale.iter().any(|&c| c == 0 || c > 256) {
        anyhow::bail!("--scale levels must be between 1 and 256");
    }
    Ok(())
}

/// Every phase, in order, on one scratch database.
pub async fn run(s: &Scratch, args: &BenchArgs) -> anyhow::Result<Report> {
    let server: String = sqlx::query_scalar(include_str!("../../sql/bench_server_version.sql"))
        .fetch_one(&s.pool)
        .await?;
    let d = &args.delivery;
    let port: i64 = sqlx::query_scalar(include_str!("../../sql/bench_server_port.sql"))
        .fetch_one(&s.pool)
        .await?;
    let db_pid = u16::try_from(port)
        .ok()
        .and_then(procfs::database_server_pid);
    if db_pid.is_none() {
        tracing::info!(event = "bench.db_cpu", port, "no local mariadbd/mysqld listens on the server's port; database CPU is reported as n/a");
    }

    tracing::info!(event = "bench.capture", "capture overhead");
    let capture = capture_overhead(s, args.rows).await?;

    tracing::info!(event = "bench.limit", "database limit");
    let claim_complete = measure_limit(s, d, db_pid, false).await?;
    reset(s, args.rows).await?;
    let claim_complete_writeback = measure_limit(s, d, db_pid, true).await?;
    let limit = LimitReport {
        claim_complete,
        claim_complete_writeback,
        ceiling: "claim + complete + write-back",
    };

    tracing::info!(event = "bench.drain", "drain by `work`");
    reset(s, args.rows).await?;
    let (drain_rate, usage) = drain_once(s, d, d.concurrency, args.rows, db_pid).await?;
    let (delivered, dead): (i64, i64) =
        sqlx::query_as(include_str!("../../sql/bench_queue_counts.sql"))
            .fetch_one(&s.pool)
            .await?;
    let per_10k = |x: Option<f64>| x.map(|v| v / args.rows as f64 * 10_000.0);
    let drain = DrainReport {
        rows: args.rows,
        delivered,
        dead,
        seconds: drain_rate.seconds,
        rows_per_s: drain_rate.rows_per_s,
        ratio_to_limit: drain_rate.rows_per_s / limit.claim_complete_writeback.rows_per_s.max(1e-9),
        worker_cpu_s_per_10k: per_10k(usage.cpu_s),
        worker_peak_rss_mib: usage.peak_rss.map(mib),
        db_cpu_s_per_10k: drain_rate.db_cpu_s_per_10k,
    };

    tracing::info!(
        event = "bench.latency",
        rate = args.latency_rate,
        "latency at a steady load"
    );
    let latency = measure_latency(s, d, args).await?;

    let mut scale = Vec::new();
    let scale_rows = (args.rows / 4).max(1);
    for &c in &args.scale {
        tracing::info!(event = "bench.scale", concurrency = c, "scale point");
        reset(s, scale_rows).await?;
        let (rate, usage) = drain_once(s, d, c, scale_rows, db_pid).await?;
        scale.push(ScalePoint {
            concurrency: c,
            rows: scale_rows,
            rows_per_s: rate.rows_per_s,
            worker_cpu_s_per_10k: usage.cpu_s.map(|v| v / scale_rows as f64 * 10_000.0),
            worker_peak_rss_mib: usage.peak_rss.map(mib),
        });
    }

    let mut hot_points = Vec::new();
    for (i, &(records, updates)) in HOT_POINTS.iter().enumerate() {
        tracing::info!(event = "bench.hot", records, updates, "hot records");
        let events = hot::enqueue(s, &i.to_string(), records, updates).await?;
        let waits_before = hot::row_lock_waits(&s.pool).await;
        let (rate, _) = drain_once(s, d, d.concurrency, events, db_pid).await?;
        let waits = match (waits_before, hot::row_lock_waits(&s.pool).await) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        hot_points.push(hot::point(
            records,
            events,
            Duration::from_secs_f64(rate.seconds),
            waits,
        ));
    }

    let guide_rows = args.rows.min(GUIDE_ROWS);
    tracing::info!(
        event = "bench.guide",
        rows = guide_rows,
        "the guide's poller"
    );
    reset(s, guide_rows).await?;
    let (ours, _) = drain_once(s, d, d.concurrency, guide_rows, db_pid).await?;
    let copied = guide::prepare(s, guide_rows).await?;
    let emu = emulator::start(EmulatorConfig::default()).await?;
    let guide_limit = Duration::from_secs(600) + Duration::from_millis(copied as u64 * 20);
    let guided = guide::drain(s, &emu.url(), guide_limit).await;
    emu.stop().await;
    let (_, guide_took) = guided?;
    let guide_rate = rate(copied, guide_took);
    let guide = GuideReport {
        rows: copied,
        guide_rows_per_s: guide_rate,
        work_rows_per_s: ours.rows_per_s,
        ratio: ours.rows_per_s / guide_rate.max(1e-9),
    };

    let single_hot = hot_points.iter().find(|p| p.records == 1);
    let five_hot = hot_points.iter().find(|p| p.records == 5);
    tracing::info!(
        event = "bench.poll",
        idle_rows = args.poll_idle_rows,
        "capture by polling"
    );
    let poll = poll::measure(s, args.poll_idle_rows, args.rows).await?;
    tracing::info!(event = "bench.binlog", "capture from the binary log");
    let binlog = binlog::measure(s, args.rows).await?;

    let targets = Targets {
        hot_record_at_least_200_events_per_s: single_hot
            .is_some_and(|p| p.events_per_s_per_record >= TARGET_HOT_PER_RECORD),
        five_hot_rows_5000_updates_under_10_s: five_hot.is_some_and(|p| p.seconds < 10.0),
        at_least_5x_the_guide: guide.ratio >= TARGET_GUIDE_RATIO,
        drain_at_least_10k_rows_per_s: drain.rows_per_s >= TARGET_DRAIN,
        drain_at_least_0_7_of_limit: drain.ratio_to_limit >= TARGET_RATIO,
        p99_at_most_250_ms: latency.measured > 0 && latency.p99_ms <= TARGET_P99_MS,
        peak_rss_at_most_64_mib: drain.worker_peak_rss_mib.map(|m| m <= TARGET_RSS_MIB),
    };
    Ok(Report {
        server,
        database: s.name.clone(),
        rows: args.rows,
        concurrency: d.concurrency,
        batch_size: d.batch_size,
        capture,
        limit,
        drain,
        latency,
        scale,
        hot: hot_points,
        guide,
        poll,
        binlog,
        targets,
    })
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn rate(rows: usize, took: Duration) -> f64 {
    rows as f64 / took.as_secs_f64().max(1e-9)
}

async fn capture_overhead(s: &Scratch, rows: usize) -> anyhow::Result<CaptureReport> {
    let sample = rows.min(SINGLE_SAMPLE);
    let plain_1 = load::timed_inserts(&s.pool, PLAIN, "S", sample, 1).await?;
    let captured_1 = load::timed_inserts(&s.pool, CAPTURED, "S", sample, 1).await?;
    // The queue now holds the sample's rows; the rest of the run wants exactly `rows`.
    sqlx::query(include_str!("../../sql/bench_queue_clear.sql"))
        .execute(&s.pool)
        .await?;
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
async fn reset(s: &Scratch, n: usize) -> anyhow::Result<()> {
    sqlx::query(include_str!("../../sql/bench_queue_reset.sql"))
        .bind(n as u64)
        .execute(&s.pool)
        .await?;
    Ok(())
}

async fn measure_limit(
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
async fn drain_once(
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

async fn measure_latency(
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

/// The human-readable table.
fn render(r: &Report, args: &BenchArgs) -> String {
    let opt = |v: Option<f64>, prec: usize| v.map_or("n/a".to_string(), |x| format!("{x:.prec$}"));
    let yes = |b: bool| if b { "met" } else { "MISSED" };
    let mut o = String::new();
    let mut line = |s: String| {
        o.push_str(&s);
        o.push('\n');
    };
    line(format!(
        "certyo-queue bench: {} rows, concurrency {}, batch size {}, server {}",
        r.rows, r.concurrency, r.batch_size, r.server
    ));
    line(String::new());
    line("1. capture overhead                 plain rows/s   captured rows/s   slowdown".into());
    for (name, p) in [
        (
            format!("single-row autocommit ({} rows)", r.capture.single_row.rows),
            &r.capture.single_row,
        ),
        (
            format!(
                "{}-row INSERTs ({} rows)",
                r.capture.rows_per_insert, r.capture.multi_row.rows
            ),
            &r.capture.multi_row,
        ),
    ] {
        line(format!(
            "   {name:<32} {:>12.0} {:>17.0} {:>9.2}x",
            p.plain_rows_per_s, p.captured_rows_per_s, p.slowdown
        ));
    }
    line(String::new());
    line("2. database limit (no HTTP)         rows/s   db CPU s/10k rows".into());
    for (name, x) in [
        ("claim + complete", &r.limit.claim_complete),
        (
            "claim + complete + write-back",
            &r.limit.claim_complete_writeback,
        ),
    ] {
        line(format!(
            "   {name:<32} {:>7.0} {:>19}",
            x.rows_per_s,
            opt(x.db_cpu_s_per_10k, 2)
        ));
    }
    line(format!(
        "   the drain is compared with: {}",
        r.limit.ceiling
    ));
    line(String::new());
    let dr = &r.drain;
    line(format!(
        "3. drain by `work` against the emulator: {} rows in {:.2}s = {:.0} rows/s, {:.2} x limit ({} delivered, {} dead)",
        dr.rows, dr.seconds, dr.rows_per_s, dr.ratio_to_limit, dr.delivered, dr.dead
    ));
    let l = &r.latency;
    line(format!(
        "4. latency commit -> 202 at {} rows/s offered ({:.0} achieved, {} rows, {} measured):",
        l.offered_rows_per_s, l.inserted_rows_per_s, l.rows, l.measured
    ));
    line(format!(
        "   p50 {:.1} ms   p95 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms
    ));
    line(format!(
        "5. resources during the drain: worker CPU {} s per 10k rows, worker peak RSS {} MiB, database CPU {} s per 10k rows",
        opt(dr.worker_cpu_s_per_10k, 2),
        opt(dr.worker_peak_rss_mib, 1),
        opt(dr.db_cpu_s_per_10k, 2)
    ));
    line(format!(
        "6. scale ({} rows per point)    concurrency   rows/s   worker CPU s/10k   peak RSS MiB",
        r.scale.first().map_or(0, |p| p.rows)
    ));
    for p in &r.scale {
        line(format!(
            "                                {:>11} {:>8.0} {:>18} {:>14}",
            p.concurrency,
            p.rows_per_s,
            opt(p.worker_cpu_s_per_10k, 2),
            opt(p.worker_peak_rss_mib, 1)
        ));
    }
    line("7. hot records (queued before `work` starts)   events   seconds   events/s   per record/s   server row lock waits".into());
    for p in &r.hot {
        line(format!(
            "   {:>2} record(s)                              {:>8} {:>9.2} {:>10.0} {:>14.0} {:>23}",
            p.records,
            p.events,
            p.seconds,
            p.events_per_s,
            p.events_per_s_per_record,
            p.server_row_lock_waits
                .map_or("n/a".to_string(), |w| w.to_string())
        ));
    }
    let g = &r.guide;
    line(format!(
        "8. the guide's queue poller (sleep removed), {} rows: {:.0} rows/s; `work`: {:.0} rows/s = {:.1} x the guide",
        g.rows, g.guide_rows_per_s, g.work_rows_per_s, g.ratio
    ));
    let p = &r.poll;
    line(format!(
        "9. capture by polling: one idle round on a {}-row table {:.2} ms (one full scan of it: {:.1} ms, {:.0}x); {} rows enqueued by the poller in {:.2}s = {:.0} rows/s",
        p.idle_rows,
        p.idle_round_ms,
        p.full_scan_ms,
        p.full_scan_ms / p.idle_round_ms.max(1e-9),
        p.enqueued,
        p.enqueue_seconds,
        p.enqueued_rows_per_s
    ));
    let b = &r.binlog;
    match &b.skipped {
        Some(why) => line(format!("10. capture from the binary log: not measured ({why})")),
        None => line(format!(
            "10. capture from the binary log: single-row inserts {:.0} rows/s captured vs {:.0} plain = {:.3}x; commit -> enqueued p50 {:.1} ms, p99 {:.1} ms ({} rows at 200/s); burst of {} rows by {} writers at {:.0} rows/s, all queued {:.2} s after it ended; reader CPU {} s per 10,000 rows",
            b.captured_rows_per_s,
            b.plain_rows_per_s,
            b.insert_ratio,
            b.latency_p50_ms,
            b.latency_p99_ms,
            b.latency_samples,
            b.burst_rows,
            binlog::WRITERS,
            b.burst_write_rows_per_s,
            b.catch_up_after_burst_s,
            b.reader_cpu_s_per_10k
                .map_or("n/a".to_string(), |c| format!("{c:.2}"))
        )),
    }
    line(String::new());
    let t = &r.targets;
    line(format!(
        "targets: drain >= {TARGET_DRAIN:.0} rows/s {}; drain >= {TARGET_RATIO} x limit {}; p99 <= {TARGET_P99_MS:.0} ms at {} rows/s {}; peak RSS <= {TARGET_RSS_MIB:.0} MiB {}",
        yes(t.drain_at_least_10k_rows_per_s),
        yes(t.drain_at_least_0_7_of_limit),
        args.latency_rate,
        yes(t.p99_at_most_250_ms),
        t.peak_rss_at_most_64_mib.map_or("n/a", yes)
    ));
    line(format!(
        "         one hot record >= {TARGET_HOT_PER_RECORD:.0} events/s {}; 5,000 updates to 5 rows < 10 s {}; >= {TARGET_GUIDE_RATIO:.0} x the guide {}",
        yes(t.hot_record_at_least_200_events_per_s),
        yes(t.five_hot_rows_5000_updates_under_10_s),
        yes(t.at_least_5x_the_guide)
    ));
    o
}

//! The bench's human-readable table.

use super::{
    binlog, Report, TARGET_DRAIN, TARGET_GUIDE_RATIO, TARGET_HOT_PER_RECORD, TARGET_P99_MS,
    TARGET_RATIO, TARGET_RSS_MIB,
};
use crate::cli::BenchArgs;

/// The human-readable table.
pub(super) fn render(r: &Report, args: &BenchArgs) -> String {
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

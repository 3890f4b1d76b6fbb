//! The bench's report (`--json` prints exactly `Report`): one section per phase and the
//! targets met or missed.

use serde::Serialize;

use super::latency::LatencyReport;
use super::{binlog, hot, poll};

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

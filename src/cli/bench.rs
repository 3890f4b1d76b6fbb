//! `bench`'s options: rows, latency load, scale points (the worker settings are
//! `work`'s own `DeliveryArgs`).

use std::time::Duration;

use clap::Args;

use super::{parse_duration, DatabaseArgs, DeliveryArgs};

/// `bench` settings. The worker settings are those of `work` (same flags, same defaults).
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Server to run on: the scratch database `certyo_bench_<random>` is created there
    /// (the database named in the URL is not touched) and dropped afterwards.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Queue rows per measurement (capture overhead, database limit, drain).
    #[arg(long, default_value_t = 200_000)]
    pub rows: usize,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    /// Offered insert rate of the latency phase, rows per second.
    #[arg(long, default_value_t = 1000)]
    pub latency_rate: u32,
    /// How long the latency phase inserts at that rate.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub latency_duration: Duration,
    /// Concurrency levels of the scale phase (each drains rows/4 rows).
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub scale: Vec<usize>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Rows of the polled table whose idle poll round is timed (capture by polling).
    #[arg(long, default_value_t = 1_000_000)]
    pub poll_idle_rows: usize,
}

//! `work`'s options: the delivery pool (`DeliveryArgs`, shared with `bench`) and the
//! scheduled jobs (`ScheduleArgs`, shared with `cleanup` and `verify`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::{parse_duration, ApiArgs, DatabaseArgs};

#[derive(Debug, Clone, Args)]
pub struct WorkArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// How long to wait for in-flight deliveries on SIGINT/SIGTERM.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
    /// Run only the delivery workers, not the cleanup, verification and poll loops.
    #[arg(long)]
    pub no_scheduled: bool,
    /// Where to serve Prometheus /metrics, /healthz and /readyz (port 0 picks a free one).
    #[arg(long, env = "CERTYO_METRICS_ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: SocketAddr,
    /// The replication server_id of the binlog reader (tables captured with `migrate
    /// --capture binlog`). Default: derived from the database name, 2^31 and up. Must
    /// differ from every server and replica of the topology: the server disconnects the
    /// older of two replicas with one server_id (a clash is reported as an error).
    #[arg(long, env = "CERTYO_BINLOG_SERVER_ID", value_parser = clap::value_parser!(u32).range(1..))]
    pub binlog_server_id: Option<u32>,
}

/// Delivery settings of `work`.
#[derive(Debug, Clone, Args)]
pub struct DeliveryArgs {
    /// Number of concurrent delivery workers.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Most queue rows claimed per worker per round. The claim size adapts between 10
    /// and this: it halves when a claim comes back short and doubles while they come
    /// back full.
    #[arg(long, default_value_t = 1000)]
    pub batch_size: usize,
    /// Batches of up to this many rows go as single POSTs, larger ones as bulk calls.
    #[arg(long, default_value_t = 10)]
    pub bulk_threshold: usize,
    /// Longest wait between claims when the queue is idle.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// How long a claim is held before another worker may take the rows over.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub lease: Duration,
    /// Delivery attempts before a row becomes a dead letter (a 429 rate limit is not counted).
    #[arg(long, default_value_t = 20)]
    pub max_attempts: u32,
    /// First retry delay after a transient failure; doubles per attempt (with jitter).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub retry_initial: Duration,
    /// Longest retry delay.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub retry_max: Duration,
    /// After Certyo refuses the key (401/403), how long to pause before trying again
    /// (the key file is re-read then).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub auth_retry: Duration,
    /// How often the progress line (delivered/s, pending, oldest pending) is logged.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub progress_interval: Duration,
    /// /readyz turns 503 when nothing was delivered for this long while rows wait.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub stall_after: Duration,
}

/// Settings of the scheduled cleanup and verification loops.
#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// How often delivered rows past retention are deleted.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub cleanup_interval: Duration,
    /// How long delivered rows are kept.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub retention: Duration,
    /// How long dead letters are kept.
    #[arg(long, default_value = "7d", value_parser = parse_duration)]
    pub dead_retention: Duration,
    /// How often Pending rows are checked for anchoring.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub verify_interval: Duration,
    /// How long after ingestion a row is first checked.
    #[arg(long, default_value = "2m", value_parser = parse_duration)]
    pub verify_after: Duration,
    /// A row still not anchored this long after ingestion is marked Failed.
    #[arg(long, default_value = "24h", value_parser = parse_duration)]
    pub anchor_timeout: Duration,
    /// Rows checked per table per verification round.
    #[arg(long, default_value_t = 500)]
    pub verify_batch: usize,
    /// Concurrent verification requests.
    #[arg(long, default_value_t = 8)]
    pub verify_concurrency: usize,
    /// How often a process tries to become the leader of each scheduled job (and the
    /// leader confirms it still is); a dead leader is replaced within about this long.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub leader_check_interval: Duration,
    /// How often `work` refreshes its status metrics (capture triggers per table, dead
    /// letters), in every process.
    #[arg(long, default_value = "1m", value_parser = parse_duration)]
    pub status_interval: Duration,
    // --- capture by polling (issue 16) ---
    /// How often tables captured by polling (`migrate --capture poll`) are polled.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub capture_poll_interval: Duration,
    /// The poller's trailing window: every round re-reads rows stamped up to this long
    /// before the newest stamp it has seen, so a transaction that stamped its rows
    /// earlier but committed later is not missed. Must exceed your longest write
    /// transaction (stamp to commit).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub capture_poll_lag: Duration,
    /// Rows read per poll page (one transaction each).
    #[arg(long, default_value_t = 1000)]
    pub capture_poll_batch: usize,
}

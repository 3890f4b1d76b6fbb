//! Every command-line type, in one place. Doc comments here are the `--help` text.
//! The binary parses these and hands them to one library function per subcommand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Deliver MySQL row changes to the Certyo anchoring API.
///
/// Triggers on your tables write every INSERT/UPDATE/DELETE into the `certyo_queue`
/// table in the same transaction; `work` drains it into Certyo and writes the record
/// hash and anchoring status back onto each row.
#[derive(Debug, Parser)]
#[command(name = "certyo-queue", version, about, long_about)]
pub struct Cli {
    /// Log format: human-readable text, or one JSON object per line for log shippers.
    /// The level comes from RUST_LOG (default: info).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "CERTYO_LOG_FORMAT")]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install or update the queue table, the capture triggers and the tracking columns.
    Migrate(MigrateArgs),
    /// Run the delivery workers plus the scheduled cleanup and verification until stopped.
    Work(WorkArgs),
    /// Run a local stand-in for the Certyo API (for tests, demos and benchmarks).
    Emulator(EmulatorArgs),
    /// Delete delivered queue rows past retention once, then exit.
    Cleanup(CleanupArgs),
    /// Check Pending rows for anchoring once, then exit.
    Verify(VerifyArgs),
    /// Show the queue and each captured table; exit 2 if something needs attention.
    Status(StatusArgs),
    /// Inspect, replay or delete dead letters.
    Dead(DeadArgs),
    /// Enqueue every existing row of a captured table as an `upsert` event (resumable).
    Backfill(BackfillArgs),
    /// Compare every delivered row, as it is now, with what was anchored; exit 2 when
    /// rows were altered behind capture's back (or are gone without a delete event).
    Audit(AuditArgs),
    /// Measure capture overhead, the database's own limit, drain rate, latency and
    /// resources in a scratch database on the server of --database-url (dropped after).
    Bench(BenchArgs),
}

/// Where the database is. The password in the URL is never printed.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// MySQL/MariaDB URL, e.g. mysql://user:pass@host:3306/shop?ssl-mode=required
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "mysql://root@127.0.0.1:3306/test",
        hide_env_values = true
    )]
    pub database_url: String,
}

/// How to reach Certyo. The key is never printed.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Certyo API key (or use --api-key-file).
    #[arg(
        long,
        env = "CERTYO_API_KEY",
        hide_env_values = true,
        conflicts_with = "api_key_file"
    )]
    pub api_key: Option<String>,
    /// File holding the Certyo API key (surrounding whitespace is ignored).
    #[arg(long, env = "CERTYO_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,
    /// Certyo tenant id.
    #[arg(long, env = "CERTYO_TENANT_ID")]
    pub tenant_id: Option<String>,
    /// Certyo API base URL.
    #[arg(
        long,
        env = "CERTYO_BASE_URL",
        default_value = "https://www.certyos.com"
    )]
    pub base_url: String,
    /// The `database` name sent to Certyo (default: the schema in the database URL).
    #[arg(long, env = "CERTYO_DATABASE")]
    pub certyo_database: Option<String>,
    /// Timeout of one HTTP request to Certyo, answer body included.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// PEM file of CA certificates to trust besides the built-in roots (a private CA
    /// or a TLS-inspecting proxy in front of Certyo).
    #[arg(long, env = "CERTYO_CA_FILE")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// A table to capture (repeatable). Also from CERTYO_TABLES=a,b.
    #[arg(long = "table", env = "CERTYO_TABLES", value_delimiter = ',')]
    pub tables: Vec<String>,
    /// Stop capturing this table (repeatable): drops its triggers, keeps its data,
    /// its tracking columns and its queued rows.
    #[arg(long = "uncapture")]
    pub uncapture: Vec<String>,
    /// Anchor this column as a SHA-256 digest of its value instead of the value itself
    /// (repeatable; `table.column`; text and binary columns). Remembered by later runs;
    /// the table is captured too.
    #[arg(long = "digest-column", value_name = "TABLE.COLUMN")]
    pub digest_columns: Vec<String>,
    /// Anchor this column with its value again (repeatable; `table.column`).
    #[arg(long = "no-digest-column", value_name = "TABLE.COLUMN")]
    pub no_digest_columns: Vec<String>,
    /// Print the exact SQL that would run, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long one ALTER TABLE or LOCK TABLES waits for a table's metadata lock (held
    /// by any open transaction that touched the table) before it gives up and tries
    /// again, 3 tries in all. While it waits, the application's new queries on that
    /// table wait behind it, so keep this short.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub lock_wait_timeout: Duration,
    // --- capture by polling (issue 16) ---
    /// How the --table tables are captured: `trigger` (every insert, update and delete,
    /// in your transaction), `poll` (no triggers: `work` reads rows whose
    /// --poll-column moved; deletes are NOT seen) or `binlog` (no triggers: `work`
    /// reads the server's binary log; needs log_bin, ROW format, FULL row image and
    /// REPLICATION SLAVE + CLIENT). Default: as registered, triggers for a new table.
    /// Switching between trigger and poll loses no change; switching to binlog is
    /// refused (uncapture first).
    #[arg(long, value_enum)]
    pub capture: Option<CaptureSource>,
    /// With --capture poll: the TIMESTAMP/DATETIME column stamped on every change
    /// (default: as registered, else updated_at).
    #[arg(long, value_name = "COLUMN")]
    pub poll_column: Option<String>,
    /// With --capture poll: the application sets the poll column on every change
    /// itself (it has no ON UPDATE CURRENT_TIMESTAMP).
    #[arg(long)]
    pub poll_column_trusted: bool,
    /// With --capture poll: create the index the poller needs (`certyo_poll`) when no
    /// index starts with the poll column.
    #[arg(long)]
    pub create_index: bool,
}

/// How a table's changes reach the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CaptureSource {
    Trigger,
    Poll,
    Binlog,
}

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

#[derive(Debug, Clone, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub api: ApiArgs,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Stop after checking this many rows (default: run rounds until no row is due, or
    /// until the API keeps failing).
    #[arg(long)]
    pub max_rows: Option<u64>,
}

/// `status`: exit code 0 when healthy, 2 when something needs attention (dead letters,
/// capture triggers drifted or missing, a --table not captured, rows marked Altered by
/// `audit --mark`), 1 on error.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only this table (repeatable); a table named here that is not captured is a problem.
    #[arg(long = "table")]
    pub tables: Vec<String>,
    /// A change still undelivered after this long needs attention (exit 2).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub max_pending_age: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct DeadArgs {
    #[command(subcommand)]
    pub command: DeadCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DeadCommand {
    /// List dead letters, newest first.
    List(DeadListArgs),
    /// Make dead letters pending again (same row, same idempotency key queue-<id>).
    /// Exit code 2 if some ids were not dead letters.
    Requeue(DeadRequeueArgs),
    /// Delete dead letters that died longer ago than --older-than.
    Purge(DeadPurgeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DeadListArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// How many to show.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Print JSON instead of a table (last_error in full).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DeadRequeueArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Queue ids to requeue (repeatable, or comma-separated).
    #[arg(long = "id", value_delimiter = ',', num_args = 1.., required_unless_present = "all")]
    pub ids: Vec<i64>,
    /// Requeue every dead letter.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DeadPurgeArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Age past which dead letters are deleted, e.g. 7d, 12h.
    #[arg(long, value_parser = parse_duration)]
    pub older_than: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct BackfillArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The captured table whose existing rows to enqueue.
    #[arg(long)]
    pub table: String,
    /// Rows per chunk (one transaction each).
    #[arg(long, default_value_t = 5000)]
    pub batch: usize,
    /// Start over even if an earlier backfill of this table finished or was interrupted.
    #[arg(long)]
    pub restart: bool,
}

// --- audit (issue 18) ---
/// `audit`: a local pass in SQL (each row rendered as capture renders it, its SHA-256
/// compared with the digest of the payload its last delivered version carried), then,
/// with Certyo settings, a proof of the suspects by Certyo's verify call. Exit code 0
/// when everything delivered matches, 2 when something was altered or is gone, 1 on
/// error.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Certyo settings: with an API key, altered rows are confirmed with Certyo.
    #[command(flatten)]
    pub api: ApiArgs,
    /// Only this table (repeatable); default: every captured table.
    #[arg(long = "table")]
    pub tables: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Concurrent verify calls to Certyo.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Altered (and gone) rows listed per table; all are counted and all are marked.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Set certyo_anchor_status = 'Altered' on altered rows (queues nothing, moves no
    /// ON UPDATE column); `status` and /metrics count them.
    #[arg(long)]
    pub mark: bool,
    /// Also ask Certyo about N rows per table that matched locally, spread over the
    /// table, or `all` (catches a row restored with an older version's tracking columns).
    #[arg(long, value_name = "N|all", value_parser = parse_prove)]
    pub prove: Option<u64>,
    /// No Certyo call, even with an API key set: the local pass only.
    #[arg(long, conflicts_with = "prove")]
    pub local: bool,
    /// Rows compared per statement (chunks of the primary key).
    #[arg(long, default_value_t = 10_000)]
    pub chunk: usize,
    /// Go on after this primary key (with one --table): what an interrupted audit
    /// prints, a JSON array of the key values as text, e.g. '["41999"]'.
    #[arg(long, value_name = "KEY")]
    pub resume_after: Option<String>,
}

/// `--prove N` or `--prove all`.
pub fn parse_prove(s: &str) -> Result<u64, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(u64::MAX);
    }
    s.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{s:?}: expected a number of rows (1 or more) or `all`"))
}
// --- end audit ---

/// Emulator settings. Documented choices for what the real API leaves open are in
/// the README ("Certyo contract assumptions") and in `--help`.
#[derive(Debug, Clone, Args)]
#[command(after_long_help = EMULATOR_CHOICES)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The one API key accepted.
    #[arg(
        long,
        env = "CERTYO_API_KEY",
        default_value = "certyo_sk_test_emulator",
        hide_env_values = true
    )]
    pub api_key: String,
    /// The tenant that key belongs to.
    #[arg(long, env = "CERTYO_TENANT_ID", default_value = "tenant-emulator")]
    pub tenant_id: String,
    /// Time from acceptance until a record counts as anchored.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub anchor_delay: Duration,
    /// Fraction of requests answered with 500 (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Requests per second before 429 with Retry-After (e.g. 100/s); unlimited if absent.
    #[arg(long, value_parser = parse_rate)]
    pub rate_limit: Option<u32>,
    /// Extra latency added to every response.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub latency: Duration,
    /// What a bulk call answers: `items` = 202 with one result per record (invalid ones
    /// 400, valid ones stored); `bare` (or `counts`) = 202 with counts only;
    /// `reject-batch` = 400 for the whole call if any record is invalid, nothing
    /// stored; `strings` = results with word statuses and `recordId` only;
    /// `bare-array` = a bare array of results in order, no identifiers;
    /// `only-rejected` = counts plus results for the rejected only; `shuffled` =
    /// results in random order by `recordId`; `no-detail` = an empty 202.
    #[arg(long, value_enum, default_value_t = BulkResponseMode::Items)]
    pub bulk_response: BulkResponseMode,
    /// Answer every API call with a redirect to this base URL (the request's path
    /// appended), to test that clients do not follow it with their key.
    #[arg(long)]
    pub redirect_to: Option<String>,
    /// The status of those redirects (301, 302, 303, 307 or 308).
    #[arg(long, default_value_t = 307)]
    pub redirect_status: u16,
    /// Largest body of a single-record call; bigger ones get 413 (e.g. 1MiB, 64KiB).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Largest body of a bulk call; bigger ones get 413.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    pub max_bulk_body: usize,
}

const EMULATOR_CHOICES: &str = "\
Choices where the Certyo documentation is silent:
  recordHash   lowercase hex SHA-256 of the canonical JSON of recordPayload: object keys
               sorted at every level, no whitespace, serde_json's rendering of strings
               and numbers.
  replay       the same idempotencyKey within 24 h answers 202 with the first answer and
               idempotencyReplayed=true; nothing is stored again.
  anchoring    verify answers verified=true, anchoredOnChain=true, verificationStatus=pass
               once the record's latest version is older than --anchor-delay; before that
               verified=false, verificationStatus=pending; an unknown record is 404.
  errors       {\"error\": \"...\", \"field\": \"...\"}; 413 past --max-body/--max-bulk-body;
               429 carries Retry-After in whole seconds; 500 carries X-Correlation-Id.
  inspection   GET /_emulator/records (no key needed) lists every version of every record,
               arrival order, replays, and the most requests in flight per record.";

/// How the emulator answers a bulk call (the real API does not document it). Each
/// mode is one reading of the contract the worker must survive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum BulkResponseMode {
    /// 202 with per-item results (`index`, `recordId`, `idempotencyKey`, numeric
    /// `status`): 202 for each accepted record, 400 and an error for each invalid one.
    #[default]
    Items,
    /// 202 with `accepted`/`rejected` counts and no per-item detail.
    #[value(alias = "counts")]
    Bare,
    /// 400 (or 403) for the whole call when any record is invalid; nothing is stored.
    RejectBatch,
    /// 202 with `results` whose `status` is a word (`"accepted"` / `"rejected"`) and
    /// only `recordId` to identify them.
    Strings,
    /// 202 with a bare JSON array of results, in batch order, without identifiers.
    BareArray,
    /// 202 with counts and results for the rejected records only.
    OnlyRejected,
    /// 202 with per-item results in random order, identified by `recordId` only.
    Shuffled,
    /// 202 with an empty body.
    NoDetail,
}

/// Parse a byte size like `1048576`, `64KiB`, `1MiB` (K/KB/KiB and M/MB/MiB are all
/// binary multiples).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        _ => return Err(format!("not a size: {s:?}; try 65536, 64KiB or 1MiB")),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("not a size: {s:?}; try 65536, 64KiB or 1MiB"))
}

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

/// The longest duration any setting takes. Queue times are `TIMESTAMP(6)` columns
/// computed as `NOW(6) + INTERVAL … MICROSECOND`, which end in 2038; no setting needs
/// more than a year, and a typo like `12y` must not make every claim fail.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Parse a duration like `500ms`, `60s`, `2m`, `24h`, `7d`; at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("not a duration ({e}); try 500ms, 60s, 2m, 24h or 7d"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "{s:?} is longer than the 366d any setting accepts (queue times are TIMESTAMP(6) columns, which end in 2038)"
        ));
    }
    Ok(d)
}

/// Parse a rate like `100/s` or `100`.
pub fn parse_rate(s: &str) -> Result<u32, String> {
    let n = s.strip_suffix("/s").unwrap_or(s);
    match n.trim().parse::<u32>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("not a rate: {s:?}; try 100/s")),
    }
}

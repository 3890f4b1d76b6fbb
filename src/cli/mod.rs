//! Every command-line type, in one place. Doc comments here are the `--help` text.
//! The binary parses these and hands them to one library function per subcommand.
//!
//! Files: this one holds the top level (`Cli`, `Command`) and the database and API
//! settings every command shares; `migrate`, `work` (delivery and scheduled jobs),
//! `ops` (cleanup, verify, status, dead, backfill, audit), `emulator`, `bench` hold
//! each command's options; `parse` the value parsers.

mod bench;
mod emulator;
mod migrate;
mod ops;
mod parse;
mod work;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use self::bench::BenchArgs;
pub use self::emulator::{BulkResponseMode, EmulatorArgs};
pub use self::migrate::{CaptureSource, MigrateArgs};
pub use self::ops::{
    AuditArgs, BackfillArgs, CleanupArgs, DeadArgs, DeadCommand, DeadListArgs, DeadPurgeArgs,
    DeadRequeueArgs, StatusArgs, VerifyArgs,
};
pub use self::parse::{parse_duration, parse_prove, parse_rate, parse_size, MAX_DURATION};
pub use self::work::{DeliveryArgs, ScheduleArgs, WorkArgs};

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

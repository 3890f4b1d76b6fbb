//! The operator commands' options: `cleanup`, `verify`, `status`, `dead`, `backfill`,
//! `audit`.

use std::time::Duration;

use clap::{Args, Subcommand};

use super::{parse_duration, parse_prove, ApiArgs, DatabaseArgs, ScheduleArgs};

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

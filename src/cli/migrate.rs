//! `migrate`'s options: the tables to capture or uncapture, digest columns, the capture
//! source and its polling settings.

use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{parse_duration, DatabaseArgs};

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
    /// Switching between trigger and poll, and from either to binlog, loses no change
    /// (one short table lock); from binlog to another source: uncapture first.
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

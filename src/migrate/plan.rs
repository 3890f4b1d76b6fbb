//! What a migrate is asked to do (`MigratePlan`) and what it did (`MigrateReport`,
//! one `TableChange` per table), with the lock-wait defaults.

use std::time::Duration;

use crate::capture::{registry, CaptureError, Cascade};

/// How long a second migrate waits for the first before giving up.
pub const LOCK_WAIT_SECS: u64 = 60;

/// What to do.
#[derive(Debug, Clone, Default)]
pub struct MigratePlan {
    /// Tables to capture (install or refresh).
    pub tables: Vec<String>,
    /// Tables to stop capturing.
    pub uncapture: Vec<String>,
    /// (table, column) pairs to anchor as a SHA-256 digest from now on; the table is
    /// captured too.
    pub digest: Vec<(String, String)>,
    /// (table, column) pairs to anchor with their value again.
    pub no_digest: Vec<(String, String)>,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// How long one DDL or LOCK TABLES waits for a table's metadata lock before it is
    /// retried (None: [`METADATA_LOCK_WAIT`]).
    pub lock_wait: Option<Duration>,
    /// How `tables` are captured (None: as registered; triggers for a table not
    /// captured yet). Switching a table's source loses no change (see `switch_*`).
    pub capture: Option<registry::Source>,
    /// The poll column (None: as registered, else `updated_at`).
    pub poll_column: Option<String>,
    /// The application maintains the poll column itself (no ON UPDATE clause).
    pub poll_column_trusted: bool,
    /// Create the index the poller needs when the table has none led by the column.
    pub create_index: bool,
}

/// Default wait for a table's metadata lock, per try.
pub const METADATA_LOCK_WAIT: Duration = Duration::from_secs(5);
/// Tries of a DDL or LOCK TABLES that waited out the metadata lock wait.
pub const METADATA_LOCK_TRIES: u32 = 3;

impl MigratePlan {
    /// Parse `table.column` (split at the first dot).
    pub fn parse_column(spec: &str) -> Result<(String, String), CaptureError> {
        match spec.trim().split_once('.') {
            Some((t, c)) if !t.is_empty() && !c.is_empty() => Ok((t.to_string(), c.to_string())),
            _ => Err(CaptureError::DigestSpec(spec.to_string())),
        }
    }
}

/// What was done (or, with `dry_run`, would be done).
#[derive(Debug, Clone, Default)]
pub struct MigrateReport {
    pub dry_run: bool,
    /// Queue schema migrations applied, e.g. `V2__queue_worker_columns`.
    pub schema_migrations: Vec<String>,
    pub tables: Vec<TableChange>,
    /// Every statement run (or that would run), in order.
    pub statements: Vec<String>,
}

impl MigrateReport {
    pub fn changed(&self) -> bool {
        !self.statements.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableChange {
    pub table: String,
    pub action: TableAction,
    /// Tracking columns (and the `certyo_verify` index) added.
    pub columns_added: Vec<String>,
    /// Foreign keys whose cascading actions change this table without firing triggers.
    pub cascades: Vec<Cascade>,
    /// Columns anchored as a SHA-256 digest.
    pub digest_columns: Vec<String>,
    /// The poll column, for a table captured by polling.
    pub poll_column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableAction {
    /// Triggers created where there were none.
    Installed,
    /// Triggers replaced because they differed (e.g. a column was added).
    Regenerated,
    /// Triggers already current.
    Unchanged,
    /// Triggers dropped.
    Uncaptured,
    /// `--uncapture` of a table that had no triggers of ours.
    NotCaptured,
    /// Capture by polling set up (no triggers).
    PollInstalled,
    /// Already captured by polling this column.
    PollUnchanged,
    /// Triggers dropped and polling started, under one table lock.
    SwitchedToPoll,
    /// Polling caught up and triggers installed, under one table lock.
    SwitchedToTrigger,
    /// Capture from the binary log set up (no triggers).
    BinlogInstalled,
    /// Already captured from the binary log.
    BinlogUnchanged,
    /// Triggers dropped and the binary log read from there, under one table lock.
    SwitchedToBinlog,
}

//! The report `status` prints (`--json` is exactly `Status`): the queue as a whole and
//! one entry per table, with the meaning of every field.

use serde::Serialize;

/// The whole report; `--json` prints exactly this.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The database (schema) looked at.
    pub database: String,
    /// False when `problems` is not empty (exit code 2).
    pub healthy: bool,
    pub queue: QueueStatus,
    pub tables: Vec<TableStatus>,
    /// One sentence per thing that needs attention, with what to do.
    pub problems: Vec<String>,
    /// The binlog reader's checkpoint and lag, where a table is captured from the
    /// binary log (null otherwise).
    pub binlog: Option<crate::ops::binlog_status::BinlogStatus>,
}

/// The queue as a whole.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueStatus {
    /// Waiting for delivery, not under a live lease (includes `retrying`).
    pub pending: u64,
    /// Claimed by a worker whose lease has not expired.
    pub in_flight: u64,
    /// Pending rows waiting out a retry delay after a failed attempt (once the delay has
    /// passed they are plain pending rows again).
    pub retrying: u64,
    /// Dead letters (see `certyo-queue dead list`).
    pub dead: u64,
    /// Delivered within the last hour.
    pub delivered_last_1h: u64,
    /// Delivered within the last 24 hours (still in the queue: exact while retention >= 24h).
    pub delivered_last_24h: u64,
    /// Age of the oldest row not yet delivered (pending or in flight); null when none.
    pub oldest_pending_age_seconds: Option<f64>,
    /// Write-backs of delivered rows kept for a retry because the application held
    /// their source rows (certyo_writeback_due), and the age of the oldest.
    pub writebacks_kept: u64,
    pub oldest_writeback_kept_seconds: u64,
}

/// One table.
#[derive(Debug, Clone, Serialize)]
pub struct TableStatus {
    pub table: String,
    /// `current`, `drifted` (bodies outdated, e.g. a column was added), `missing` (some
    /// of the four triggers gone, or all of a registered table's), `unverified` (there,
    /// bodies unreadable without TRIGGER), `unrenderable` or `not_captured` (none).
    pub triggers: TriggerHealth,
    /// Names of our triggers that should exist and don't.
    pub missing_triggers: Vec<String>,
    /// Foreign keys whose ON UPDATE / ON DELETE actions change this table's rows
    /// without firing its triggers (those changes are not captured), e.g.
    /// "`fk_line_order` (ON DELETE CASCADE from `orders`)".
    pub cascading_foreign_keys: Vec<String>,
    /// Undelivered queue rows of this table.
    pub queue: TableQueue,
    /// Rows by `certyo_anchor_status`; null when the table has no tracking columns.
    pub anchor: Option<AnchorCounts>,
    /// How its changes reach the queue: `trigger`, `poll`, or null (not registered).
    pub source: Option<String>,
    /// For a table captured by polling: its column and checkpoint.
    pub poll: Option<PollStatus>,
}

/// A polled table's checkpoint. Polling sees inserts and updates, never deletes.
#[derive(Debug, Clone, Serialize)]
pub struct PollStatus {
    pub column: String,
    /// Newest poll-column value the poller has passed (UTC for TIMESTAMP), or null.
    pub high_stamp: Option<String>,
    /// Row versions the poller has enqueued.
    pub rows_enqueued: u64,
    /// When the poller last ran a page on it, or null.
    pub polled_at: Option<String>,
    /// Always false: polling cannot see deletes.
    pub deletes_captured: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerHealth {
    Current,
    Drifted,
    Missing,
    NotCaptured,
    /// Our triggers are there, but the table's current columns cannot be rendered.
    Unrenderable,
    /// Our four triggers are there, but this user may not read their bodies (no
    /// TRIGGER privilege), so whether they are current is not known.
    Unverified,
}

impl TriggerHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerHealth::Current => "current",
            TriggerHealth::Drifted => "drifted",
            TriggerHealth::Missing => "missing",
            TriggerHealth::NotCaptured => "not_captured",
            TriggerHealth::Unrenderable => "unrenderable",
            TriggerHealth::Unverified => "unverified",
        }
    }
}

/// A table's share of the queue: the figures an index can give cheaply (a per-table
/// pending count would have to read every undelivered row).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableQueue {
    pub in_flight: u64,
    pub retrying: u64,
    pub dead: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct AnchorCounts {
    pub pending: u64,
    pub anchored: u64,
    pub failed: u64,
    /// Marked by `certyo-queue audit --mark`: changed behind capture's back since the
    /// version that was anchored.
    pub altered: u64,
}

//! Capture: the triggers and tracking columns that make a business table feed
//! `certyo_queue`, generated from `information_schema`.
//!
//! Invariants:
//! - Every capture trigger enqueues nothing while `@certyo_queue_writeback` is set (the
//!   worker's write-back); the UPDATE triggers act only when a business column changed
//!   (NULL-safe, byte-wise for text; `certyo_*` and ON UPDATE CURRENT_TIMESTAMP columns
//!   are not compared, the latter stay in the payload).
//! - Tracking columns (`certyo_*`) are added, never altered or dropped, and never appear
//!   in payloads.
//! - Triggers are replaced under `LOCK TABLES t WRITE, certyo_queue WRITE`, so no write
//!   to `t` can fall between the DROP and the CREATE.
//! - Our triggers are recognised by their name (`certyo_<table>_{bu,ai,au,ad}`) and the
//!   marker string in their body; a body equal to the generated one (whitespace
//!   aside) is current.
//! - Triggers are created under fixed session settings (`sql/capture_session_setup.sql`:
//!   utf8mb4, a non-strict sql_mode without parsing modes): a trigger keeps them, so
//!   the writer's session never changes what it does.
//! - A table whose columns cannot all be rendered (`render`) is refused before anything
//!   changes; one that became unrenderable after an ALTER is `Unrenderable` in status.
//! - Only names found in information_schema and free of quotes, backslashes and control
//!   characters are ever quoted into SQL.
//!
//! Layout of this module: [`CaptureError`], which every capture step returns, here;
//! `captured` the captured tables (from the registry); `installed_triggers` the
//! triggers of ours found in the database and how they compare with what would be
//! generated now; `cascades` the foreign keys whose actions bypass the triggers; `plan`
//! the statements that capture, uncapture or restore a table.

pub mod binlog;
pub mod binlog_render;
mod captured;
mod cascades;
mod installed_triggers;
pub mod introspect;
mod plan;
pub mod poll;
pub mod registry;
pub mod render;
pub mod triggers;

/// The SQL template helper lives in `crate::sql`; this name is kept for the capture
/// modules that reach it through `capture::template`.
pub use crate::sql as template;

pub use captured::{captured_tables, CapturedTable};
pub use cascades::{cascades, Cascade};
pub use installed_triggers::{
    existing_triggers, trigger_exists, trigger_state, ExistingTrigger, TriggerState,
};
pub use introspect::{check_name, inspect, inspect_existing, inspect_for_capture, TableShape};
pub use plan::{
    is_drop_statement, is_lock_statement, plan_capture, plan_uncapture, restore_statement,
    session_setup_statement, unlock_statement, CapturePlan,
};
/// Why a table cannot be captured (its name, key, column types, digest or poll
/// options, binlog settings) or a capture statement failed, each with the way out in
/// its message.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "table `{table}` does not exist in database `{schema}` (or is a view, or this user may not see it)"
    )]
    UnknownTable { table: String, schema: String },
    #[error(
        "table `{0}` has no primary key; capture needs one to identify rows (add a PRIMARY KEY)"
    )]
    NoPrimaryKey(String),
    #[error("refusing table name {0:?}: names with quotes, backticks, backslashes or control characters are not supported")]
    BadName(String),
    #[error("refusing table `{table}`: column name {column:?} is not supported (quotes, backslashes, control characters, or a certyo_ key column)")]
    BadColumnName { table: String, column: String },
    #[error("`{0}` is certyo-queue's own table and cannot be captured")]
    Reserved(String),
    #[error("table `{table}`: column `{column}` has type {column_type}, which capture cannot render; anchor a SHA-256 of its bytes instead with `migrate --digest-column {table}.{column}`, or change the column's type")]
    Unrenderable {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: primary-key column `{column}` has type {column_type}, which cannot identify a row in record_id; capture needs a key of integer, DECIMAL, string, binary, ENUM/SET or date/time columns (e.g. add an AUTO_INCREMENT key)")]
    KeyType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: its primary key ({key}) renders as up to {width} characters, more than certyo_queue.record_id holds ({max}); capture needs a narrower key (e.g. an AUTO_INCREMENT or BINARY(16) key)", max = render::RECORD_ID_WIDTH)]
    KeyTooWide {
        table: String,
        key: String,
        width: u64,
    },
    #[error("--digest-column {0:?}: expected table.column")]
    DigestSpec(String),
    #[error("--digest-column {table}.{column}: table `{table}` has no column `{column}`")]
    DigestUnknownColumn { table: String, column: String },
    #[error("--digest-column {table}.{column}: `{column}` is {column_type}; only text (CHAR, VARCHAR, TEXT), binary (BINARY, VARBINARY, BLOB) and types capture cannot render can be anchored as a digest")]
    DigestType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}` has no column `{column}` to poll; name the table's last-change timestamp with --poll-column COLUMN")]
    PollColumnMissing { table: String, column: String },
    #[error("table `{table}`: poll column `{column}` is {column_type}; polling needs a TIMESTAMP or DATETIME column that changes on every update")]
    PollColumnType {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("table `{table}`: poll column `{column}` is not maintained on update (no ON UPDATE CURRENT_TIMESTAMP), so polling would miss updates; add it (ALTER TABLE `{table}` MODIFY `{column}` … ON UPDATE CURRENT_TIMESTAMP), or pass --poll-column-trusted if your application sets it on every change")]
    PollColumnNotMaintained { table: String, column: String },
    #[error("table `{table}`: no index starts with poll column `{column}`, so every poll round would scan the table; create it with `{create_index}` (or pass --create-index)")]
    PollIndexMissing {
        table: String,
        column: String,
        create_index: String,
    },
    #[error("binlog capture: {0}")]
    BinlogSetting(String),
    #[error("table `{table}`: column `{column}` has type {column_type}, which binlog capture cannot render exactly like the triggers yet; capture this table with `migrate --table {table} --capture trigger` (or --capture poll)")]
    BinlogUnsupported {
        table: String,
        column: String,
        column_type: String,
    },
    #[error("{context}: {source}")]
    Db {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

impl CaptureError {
    pub fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> CaptureError {
        move |source| CaptureError::Db { context, source }
    }
}

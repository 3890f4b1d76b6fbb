//! `certyo-queue status`: one look at the queue and the captured tables.
//!
//! Reports pending / in flight / retrying / dead queue rows, deliveries in the last hour
//! and 24 hours, the age of the oldest undelivered row, and per table: the state of its
//! capture triggers, its in-flight / retrying / dead queue rows and its rows by
//! anchoring status. (No per-table pending count: it would read every queued row.) Text for people, `--json` (one
//! object, field names documented on [`Status`]) for scripts.
//!
//! Invariants:
//! - Read-only, no locks: every query is a plain consistent read served by an index
//!   (named in each `sql/status_*.sql` and `sql/queue_*.sql` it reads), so status is
//!   cheap on a big queue.
//! - `healthy` is false exactly when `problems` is non-empty; the exit code is then
//!   [`EXIT_ATTENTION`] (2). An error (database unreachable, unknown table) exits 1.
//! - Tables listed: those with capture triggers of ours, those with tracking columns
//!   (captured once, maybe uncaptured since: shown as `not_captured`, not a problem),
//!   and those with undelivered queue rows; or exactly the `--table` ones.
//!
//! Layout: `report` (the report's types), `collect` (gathering it), `figures` (the
//! queue's figures, via `queue::inspect`), `anchor` (rows by anchoring status),
//! `render` (the text form).

mod anchor;
mod collect;
mod figures;
mod render;
mod report;

use std::process::ExitCode;

use crate::capture::CaptureError;
use crate::cli::StatusArgs;
use crate::config::DbConfig;
use crate::error::DbError;

pub use self::collect::collect;
pub use self::render::render_text;
pub use self::report::{
    AnchorCounts, PollStatus, QueueStatus, Status, TableQueue, TableStatus, TriggerHealth,
};

/// Exit code of a command that ran but found something that needs attention.
pub const EXIT_ATTENTION: u8 = 2;

#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("table `{table}` does not exist in database `{schema}`")]
    UnknownTable { table: String, schema: String },
    #[error("no certyo_queue table in database `{0}`: run `certyo-queue migrate` first")]
    NoQueue(String),
}

/// MySQL's "table doesn't exist" (1146, SQLSTATE 42S02).
pub(crate) fn is_missing_table(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42S02"))
}

/// A change undelivered for longer than `max` is a problem: delivery is stopped or far
/// behind.
pub fn limit_pending_age(status: &mut Status, max: std::time::Duration) {
    if let Some(age) = status.queue.oldest_pending_age_seconds {
        if age > max.as_secs_f64() {
            status.problems.push(format!(
                "the oldest undelivered change is {age:.0}s old (over --max-pending-age {}s): is `work` running, and can it reach Certyo? See its log and /readyz",
                max.as_secs()
            ));
            status.healthy = false;
        }
    }
}

/// `certyo-queue status [--json] [--table T]…`: exit 0 healthy, 2 needs attention.
pub async fn run_cli(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 1).await?;
    let status = collect(&pool, &schema, &args.tables).await;
    pool.close().await;
    let mut status = status?;
    limit_pending_age(&mut status, args.max_pending_age);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render_text(&status));
    }
    Ok(if status.healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ATTENTION)
    })
}

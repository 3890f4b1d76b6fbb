//! Capture by polling a timestamp column, for tables that may not have triggers: the
//! checks `migrate --capture poll` makes, and every statement the poller runs on the
//! polled table and its bookkeeping (`certyo_capture_poll`, `certyo_capture_poll_seen`,
//! migration V9). The loop that runs them is `tasks::poll`.
//!
//! How a page works (`poll_page`, inside the caller's transaction):
//! 1. lock the table's checkpoint row (two pollers take turns, page by page);
//! 2. read, without locks, the rows whose poll column is at least the window's low end
//!    `max(floor, high - lag)`, after the page cursor, in (column, key) order: each
//!    with its record id and payload rendered exactly as the capture triggers render
//!    them (same fragments), and a digest of its compared columns;
//! 3. keep the rows whose digest differs from the one last enqueued for that record
//!    (`certyo_capture_poll_seen`), enqueue them as `upsert` events, record their
//!    digests, advance `high` to the newest stamp read, all in that one transaction.
//!
//! Why this loses nothing the guide's poller loses:
//! - rows sharing the checkpoint's stamp: the window starts `lag` before the newest
//!   stamp and compares with `>=`, and the page cursor includes the primary key;
//! - a transaction that stamped its rows earlier but commits after later-stamped ones:
//!   re-read while its stamp is within `lag` of the newest stamp (the lag must exceed
//!   the longest time between a row's stamp and its commit, see the README);
//! - a crash: enqueue and checkpoint commit together; the seen digests make the
//!   re-read window enqueue each version once.
//!
//! The digest leaves out the poll column, ON UPDATE CURRENT_TIMESTAMP columns and
//! generated columns (the triggers do not compare them either), so a write that only
//! moves the stamp (the user's own "touch", or a trigger of theirs) is not a new
//! version, and the worker's write-back, which changes only `certyo_*` columns and pins
//! ON UPDATE columns, is never polled again.
//!
//! Layout: this module holds the registry options ([`PollSpec`]); `column_check` the
//! checks of the poll column; `statements` the poller's statements for one table and
//! the page cursor; `page` one page (read, pick the unseen, enqueue, advance);
//! `bookkeeping` the checkpoint and seen-version rows outside a page.

mod bookkeeping;
mod column_check;
mod page;
mod statements;

use std::collections::HashMap;
use std::sync::LazyLock;

use super::template::fragments;
use super::CaptureError;

pub use bookkeeping::{
    checkpoint_reset, checkpoint_start, checkpoints, db_now, forget, prune, seed_seen, Checkpoint,
    CheckpointRow,
};
pub use column_check::{check, PollCheck};
pub use page::{poll_page, Changed, Page, PolledRow};
pub use statements::{lock_statement, Cursor, PollSql};

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../../sql/poll_fragments.sql")));

/// The poll column unless `--poll-column` says otherwise.
pub const DEFAULT_COLUMN: &str = "updated_at";

/// How a table is polled: its registry options (`certyo_capture.options`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PollSpec {
    pub poll_column: String,
    /// The application maintains the column on every update (no ON UPDATE clause).
    #[serde(default)]
    pub poll_column_trusted: bool,
}

impl PollSpec {
    /// The registry's options text, None when it is not a poll spec.
    pub fn from_options(options: Option<&str>) -> Option<PollSpec> {
        options.and_then(|o| serde_json::from_str(o).ok())
    }

    pub fn to_options(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_string())
    }
}

fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> CaptureError {
    CaptureError::db(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip() {
        let spec = PollSpec {
            poll_column: "changed".into(),
            poll_column_trusted: true,
        };
        assert_eq!(PollSpec::from_options(Some(&spec.to_options())), Some(spec));
        assert_eq!(PollSpec::from_options(None), None);
    }
}

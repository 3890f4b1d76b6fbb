//! Operator commands: what a person or a script runs against a live installation.
//!
//! - `status`: the queue's state and each captured table's capture and anchoring
//!   state; exit code 2 when something needs attention (a check for scripts).
//! - `dead`: list, requeue and purge dead letters (a requeue keeps the row's id, so its
//!   idempotency key `queue-<id>` is kept).
//! - `audit`: compare every delivered row, as it is now, with what was anchored (a
//!   local pass in SQL, then a proof by Certyo); exit code 2 when something was altered.
//! - `backfill`: enqueue every existing row of a captured table as an `upsert` event,
//!   chunked by primary key, resumable (progress in `certyo_queue_backfill`).
//!
//! Exit codes shared by these commands: 0 all well, 1 error (database unreachable, bad
//! arguments, refused table), 2 done but something needs attention
//! (`status::EXIT_ATTENTION`).

pub mod audit;
pub mod backfill;
pub mod binlog_status;
pub mod dead;
pub mod status;

//! The queue's whole SQL surface: claim (`claim`), hand-over (`chain`), complete,
//! retry, release and bury (`settle`), backlog (`counts`), dead letters' list, requeue
//! and purge (`dead_letters`), the cleanup job's select and delete (`cleanup`), the
//! write-back's reads of delivered versions (`versions`), the operator reports' reads
//! (`inspect`: `status` totals, `audit`'s newest event per record), and the bench's
//! statements on its scratch queue (`scratch`).
//!
//! Invariants (see `migrations/V2__queue_worker_columns.sql` for a row's states):
//! - A claim is one short transaction: lock candidates with `FOR UPDATE SKIP LOCKED`,
//!   drop those whose record has an earlier undelivered event (non-locking read), lease
//!   the rest, commit. No row lock is ever held across an HTTP call.
//! - A lease is a token (`lease_owner`) plus an expiry stored in `available_at`; an
//!   expired lease makes the row claimable again without anyone resetting it.
//! - Every later change of a claimed row filters on id *and* lease token, so only the
//!   current holder can complete, retry, release or bury it; repeating one is a no-op.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

mod chain;
mod claim;
pub mod cleanup;
mod counts;
pub mod dead_letters;
pub mod inspect;
pub mod scratch;
mod settle;
pub mod versions;

pub use chain::{chain, chain_again, Chained, HAND_OVER_RUN};
pub use claim::{claim, BLOCKED_DEFER};
pub use counts::backlog;
pub use settle::{bury, complete, complete_in, release, retry, settled, throttle};

/// Lease rows to an owner: shared by the claim and the hand-over.
const LEASE: &str = include_str!("../../sql/queue_lease.sql");

/// One queue row as claimed.
#[derive(Debug, Clone, FromRow)]
pub struct QueueRow {
    pub id: i64,
    pub table_name: String,
    pub record_id: String,
    pub op_type: String,
    /// The payload as text, exactly as stored; validated by the worker.
    pub payload: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Attempts before this claim.
    pub attempts: u32,
}

/// What one claim got.
#[derive(Debug, Default)]
pub struct Claimed {
    /// Rows to send now, at most one per record.
    pub rows: Vec<QueueRow>,
    /// Rows leased too, but whose attempts were already used up by earlier claims that
    /// never finished (a worker died each time): the caller buries them.
    pub exhausted: Vec<QueueRow>,
    /// Candidates left alone because an earlier event of their record is unfinished.
    pub blocked: usize,
}

/// Run one writing statement in a transaction of its own and commit it. A client that
/// goes away while the statement waits for a row lock (a signal ends `dead purge` or
/// `cleanup`) then leaves no COMMIT behind: the server rolls the statement back when it
/// finds the connection gone, instead of committing it (autocommit) after the wait.
async fn execute_and_commit(
    pool: &sqlx::MySqlPool,
    q: sqlx::query::Query<'_, sqlx::MySql, sqlx::mysql::MySqlArguments>,
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let n = q.execute(&mut *tx).await?.rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Replace the `{ids}` placeholder of a statement with `n` bind markers.
pub fn expand_ids(template: &str, n: usize) -> String {
    expand_list(template, "{ids}", n)
}

/// Replace every `placeholder` of a statement with `n` bind markers.
fn expand_list(template: &str, placeholder: &str, n: usize) -> String {
    let marks = vec!["?"; n.max(1)].join(",");
    template.replace(placeholder, &marks)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// True for InnoDB deadlocks (1213) and lock wait timeouts (1205): retry the statement.
pub fn is_lock_conflict(e: &sqlx::Error) -> bool {
    crate::db::classify(e) == crate::db::DbErrorKind::LockConflict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_expand_to_bind_markers() {
        assert_eq!(expand_ids("a IN ({ids}) b", 3), "a IN (?,?,?) b");
        assert_eq!(
            expand_list("FIELD(id, {ids}) IN ({ids})", "{ids}", 2),
            "FIELD(id, ?,?) IN (?,?)"
        );
    }
}

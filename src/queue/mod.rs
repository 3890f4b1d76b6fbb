//! The queue's whole SQL surface: claim, complete, retry, release, bury, backlog.
//!
//! Invariants (see `migrations/V2__queue_worker_columns.sql` for a row's states):
//! - A claim is one short transaction: lock candidates with `FOR UPDATE SKIP LOCKED`,
//!   drop those whose record has an earlier undelivered event (non-locking read), lease
//!   the rest, commit. No row lock is ever held across an HTTP call.
//! - A lease is a token (`lease_owner`) plus an expiry stored in `available_at`; an
//!   expired lease makes the row claimable again without anyone resetting it.
//! - Every later change of a claimed row filters on id *and* lease token, so only the
//!   current holder can complete, retry, release or bury it; repeating one is a no-op.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::mysql::{MySqlConnection, MySqlDatabaseError, MySqlPool};
use sqlx::{Connection, FromRow};

use crate::error::DbError;

const CLAIM_CANDIDATES: &str = include_str!("../../sql/queue_claim_candidates.sql");
const CLAIM_BLOCKED: &str = include_str!("../../sql/queue_claim_blocked.sql");
const PARK: &str = include_str!("../../sql/queue_park.sql");
const CHAIN_HEADS: &str = include_str!("../../sql/queue_chain_heads.sql");
const CHAIN_LOCK: &str = include_str!("../../sql/queue_chain_lock.sql");
const LEASE: &str = include_str!("../../sql/queue_lease.sql");
const COMPLETE: &str = include_str!("../../sql/queue_complete.sql");
const RETRY: &str = include_str!("../../sql/queue_retry.sql");
const RELEASE: &str = include_str!("../../sql/queue_release.sql");
const BURY: &str = include_str!("../../sql/queue_bury.sql");
// Shared with `status`: index-only counts, then one primary-key lookup for the age.
const BACKLOG_COUNTS: &str = include_str!("../../sql/status_queue_counts.sql");
const ROW_AGE: &str = include_str!("../../sql/status_row_age.sql");

/// How long a candidate that must wait for an earlier event of its record is parked.
/// Normally its record's previous event hands over to it when settled (`chain`), so
/// this only bounds the wait when that hand-over is missed.
/// Long enough that a hot record's parked backlog does not keep coming back to be
/// locked and parked again by every claim (which also makes hand-overs miss).
pub const BLOCKED_DEFER: Duration = Duration::from_secs(5);

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

/// Replace the `{ids}` placeholder of a statement with `n` bind markers.
pub fn expand_ids(template: &str, n: usize) -> String {
    let marks = vec!["?"; n.max(1)].join(",");
    template.replace("{ids}", &marks)
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// True for InnoDB deadlocks (1213) and lock wait timeouts (1205): retry the statement.
pub fn is_lock_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.try_downcast_ref::<MySqlDatabaseError>())
        .is_some_and(|m| matches!(m.number(), 1205 | 1213))
}

/// Claim up to `limit` rows for `owner` for `lease`.
pub async fn claim(
    pool: &MySqlPool,
    owner: &str,
    limit: usize,
    lease: Duration,
    max_attempts: u32,
) -> Result<Claimed, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let candidates: Vec<QueueRow> = sqlx::query_as(CLAIM_CANDIDATES)
        .bind(limit as u64)
        .fetch_all(&mut *tx)
        .await?;
    if candidates.is_empty() {
        tx.commit().await?;
        return Ok(Claimed::default());
    }

    let check = expand_ids(CLAIM_BLOCKED, candidates.len());
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(check.as_str()));
    for row in &candidates {
        q = q.bind(row.id);
    }
    let blocked: Vec<i64> = q.fetch_all(&mut *tx).await?;

    let (chosen, waiting): (Vec<QueueRow>, Vec<QueueRow>) = candidates
        .into_iter()
        .partition(|r| !blocked.contains(&r.id));
    if !chosen.is_empty() {
        let lease_sql = expand_ids(LEASE, chosen.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(lease_sql.as_str()))
            .bind(owner)
            .bind(micros(lease));
        for row in &chosen {
            q = q.bind(row.id);
        }
        q.execute(&mut *tx).await?;
    }
    if !waiting.is_empty() {
        let defer_sql = expand_ids(PARK, waiting.len());
        let mut q =
            sqlx::query(sqlx::AssertSqlSafe(defer_sql.as_str())).bind(micros(BLOCKED_DEFER));
        for row in &waiting {
            q = q.bind(row.id);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;

    let (exhausted, rows) = chosen.into_iter().partition(|r| r.attempts >= max_attempts);
    Ok(Claimed {
        rows,
        exhausted,
        blocked: waiting.len(),
    })
}

/// What one hand-over (`chain`) got.
#[derive(Debug, Default)]
pub struct Chained {
    /// Next events leased to the new owner: per record, a run in queue-id order.
    pub claimed: Claimed,
    /// Records whose ready next event another session held at that moment: try again
    /// after the commit (`chain` on a fresh transaction).
    pub held: Vec<(String, String)>,
}

/// Most events of one record one hand-over leases (sent one after another).
pub const HAND_OVER_RUN: u64 = 50;

/// Hand over: lease to `owner` the next events (up to [`HAND_OVER_RUN`], in queue-id
/// order) of each of `records` (table, record id) whose previous event this
/// transaction just settled, as far as they may go now. Never waits for a row lock
/// (SKIP LOCKED); a record whose next event another session held comes back in `held`,
/// and a record's run stops before any event not leased here, so the caller can send
/// each record's leased events in order. Call it only for records whose previous event
/// this caller itself completed (it held the lease): then no other event of the record
/// is in flight.
pub async fn chain(
    conn: &mut MySqlConnection,
    records: &[(String, String)],
    owner: &str,
    lease: Duration,
    max_attempts: u32,
) -> Result<Chained, sqlx::Error> {
    let mut by_table: Vec<(&str, Vec<&str>)> = Vec::new();
    for (table, record) in records {
        match by_table.iter_mut().find(|(t, _)| *t == table.as_str()) {
            Some((_, ids)) if !ids.contains(&record.as_str()) => ids.push(record),
            Some(_) => {}
            None => by_table.push((table, vec![record])),
        }
    }
    // Per record, the ready prefix of its next events, in queue-id order.
    let mut runs: Vec<(String, String, Vec<i64>)> = Vec::new();
    for (table, ids) in &by_table {
        for part in ids.chunks(1000) {
            let sql = expand_ids(CHAIN_HEADS, part.len());
            let mut q = sqlx::query_as::<_, (i64, String, i64)>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(*table);
            for id in part {
                q = q.bind(*id);
            }
            let mut stopped: Option<String> = None;
            for (id, record, is_ready) in q.bind(HAND_OVER_RUN).fetch_all(&mut *conn).await? {
                if stopped.as_deref() == Some(record.as_str()) {
                    continue;
                }
                if is_ready == 0 {
                    stopped = Some(record);
                    continue;
                }
                match runs.last_mut() {
                    Some((t, r, run)) if t == table && *r == record => run.push(id),
                    _ => runs.push((table.to_string(), record, vec![id])),
                }
            }
        }
    }
    if runs.is_empty() {
        return Ok(Chained::default());
    }
    let wanted: Vec<i64> = runs
        .iter()
        .flat_map(|(_, _, run)| run.iter().copied())
        .collect();
    let sql = expand_ids(CHAIN_LOCK, wanted.len());
    let mut q = sqlx::query_as::<_, QueueRow>(sqlx::AssertSqlSafe(sql.as_str()));
    for id in &wanted {
        q = q.bind(*id);
    }
    let locked: Vec<QueueRow> = q.fetch_all(&mut *conn).await?;
    let got: HashSet<i64> = locked.iter().map(|r| r.id).collect();
    // Lease only each run's prefix that was locked: an event skipped in the middle
    // would otherwise let a later one go before it.
    let mut lease_ids: HashSet<i64> = HashSet::new();
    let mut held: Vec<(String, String)> = Vec::new();
    for (table, record, run) in runs {
        let prefix: Vec<i64> = run
            .iter()
            .copied()
            .take_while(|id| got.contains(id))
            .collect();
        if prefix.is_empty() {
            held.push((table, record));
        }
        lease_ids.extend(prefix);
    }
    let mut chosen: Vec<QueueRow> = locked
        .into_iter()
        .filter(|r| lease_ids.contains(&r.id))
        .collect();
    chosen.sort_by_key(|r| r.id);
    if !chosen.is_empty() {
        let lease_sql = expand_ids(LEASE, chosen.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(lease_sql.as_str()))
            .bind(owner)
            .bind(micros(lease));
        for row in &chosen {
            q = q.bind(row.id);
        }
        q.execute(&mut *conn).await?;
    }
    let (exhausted, rows) = chosen
        .into_iter()
        .partition(|r: &QueueRow| r.attempts >= max_attempts);
    Ok(Chained {
        claimed: Claimed {
            rows,
            exhausted,
            blocked: 0,
        },
        held,
    })
}

/// `chain` in a transaction of its own: the second try for the records whose next
/// event was held at the first.
pub async fn chain_again(
    pool: &MySqlPool,
    records: &[(String, String)],
    owner: &str,
    lease: Duration,
    max_attempts: u32,
) -> Result<Chained, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut tx = conn.begin().await?;
    let chained = chain(&mut tx, records, owner, lease, max_attempts).await?;
    tx.commit().await?;
    Ok(chained)
}

async fn by_ids(
    pool: &MySqlPool,
    template: &str,
    head: &[Bind<'_>],
    ids: &[i64],
    owner: &str,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = expand_ids(template, ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for b in head {
        q = match b {
            Bind::I64(v) => q.bind(*v),
            Bind::Str(s) => q.bind(*s),
        };
    }
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.bind(owner).execute(pool).await?.rows_affected())
}

enum Bind<'a> {
    I64(i64),
    Str(&'a str),
}

/// Mark `ids` delivered if `owner` still holds them. Returns the rows changed.
pub async fn complete(pool: &MySqlPool, ids: &[i64], owner: &str) -> Result<u64, sqlx::Error> {
    by_ids(pool, COMPLETE, &[], ids, owner).await
}

/// `complete` on a connection the caller holds, inside its transaction (the worker
/// marks rows delivered and writes back to their source rows in one commit).
pub async fn complete_in(
    conn: &mut MySqlConnection,
    ids: &[i64],
    owner: &str,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = expand_ids(COMPLETE, ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.bind(owner).execute(conn).await?.rows_affected())
}

/// Make `ids` available again after `delay`, keeping `error`.
pub async fn retry(
    pool: &MySqlPool,
    ids: &[i64],
    owner: &str,
    delay: Duration,
    error: &str,
) -> Result<u64, sqlx::Error> {
    let error = truncate(error, 1000);
    by_ids(
        pool,
        RETRY,
        &[Bind::I64(micros(delay)), Bind::Str(&error)],
        ids,
        owner,
    )
    .await
}

/// Hand back `ids` unsent, without counting the attempt; available again after `delay`.
pub async fn release(
    pool: &MySqlPool,
    ids: &[i64],
    owner: &str,
    delay: Duration,
) -> Result<u64, sqlx::Error> {
    by_ids(pool, RELEASE, &[Bind::I64(micros(delay))], ids, owner).await
}

/// Make row `id` a dead letter with `reason`.
pub async fn bury(
    pool: &MySqlPool,
    id: i64,
    owner: &str,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    let reason = truncate(reason, 1000);
    Ok(sqlx::query(BURY)
        .bind(reason)
        .bind(id)
        .bind(owner)
        .execute(pool)
        .await?
        .rows_affected())
}

/// Rows waiting for delivery (not dead) and the age of the oldest. Reads the claim
/// index only, so it stays cheap on a large backlog.
pub async fn backlog(pool: &MySqlPool) -> Result<(i64, Duration), DbError> {
    let (undelivered, dead, oldest_id): (i64, i64, Option<i64>) = sqlx::query_as(BACKLOG_COUNTS)
        .fetch_one(pool)
        .await
        .map_err(DbError::query("reading the queue backlog"))?;
    let age_us: Option<i64> = match oldest_id {
        Some(id) => sqlx::query_scalar(ROW_AGE)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(DbError::query("reading the oldest row's age"))?,
        None => None,
    };
    Ok((
        undelivered - dead,
        Duration::from_micros(age_us.unwrap_or(0).max(0) as u64),
    ))
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s[..cut].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_expand_to_bind_markers() {
        assert_eq!(expand_ids("a IN ({ids}) b", 3), "a IN (?,?,?) b");
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
    }
}

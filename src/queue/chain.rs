//! The hand-over: in the transaction that settled a record's event, lease that record's
//! next events to the worker that sends them (no claim in between).

use std::collections::HashSet;
use std::time::Duration;

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::Connection;

use super::{expand_ids, micros, Claimed, QueueRow, LEASE};

const CHAIN_HEADS: &str = include_str!("../../sql/queue_chain_heads.sql");
const CHAIN_LOCK: &str = include_str!("../../sql/queue_chain_lock.sql");

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

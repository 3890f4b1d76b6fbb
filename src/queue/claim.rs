//! The claim: one short transaction that locks candidates (`FOR UPDATE SKIP LOCKED`),
//! parks those whose record has an earlier unfinished event, and leases the rest.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use sqlx::Connection;

use super::{expand_ids, micros, Claimed, QueueRow, LEASE};

const CLAIM_CANDIDATES: &str = include_str!("../../sql/queue_claim_candidates.sql");
const CLAIM_BLOCKED: &str = include_str!("../../sql/queue_claim_blocked.sql");
const PARK: &str = include_str!("../../sql/queue_park.sql");

/// How long a candidate that must wait for an earlier event of its record is parked.
/// Normally its record's previous event hands over to it when settled (`chain`), so
/// this only bounds the wait when that hand-over is missed.
/// Long enough that a hot record's parked backlog does not keep coming back to be
/// locked and parked again by every claim (which also makes hand-overs miss).
pub const BLOCKED_DEFER: Duration = Duration::from_secs(5);

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

    // Of one record's candidates only the earliest can be free: each later one has an
    // earlier unfinished event (that candidate) and must wait, which is what the check
    // would find. So only the earliest candidate of each record is checked against the
    // queue: a hot record's backlog is one id in the check, not a thousand (checked one
    // by one against the record's events, that took 1.5 s on MySQL while this claim held
    // the record's next event, and its hand-over missed it).
    let mut earliest: HashMap<(&str, &str), i64> = HashMap::new();
    for row in &candidates {
        let id = earliest
            .entry((row.table_name.as_str(), row.record_id.as_str()))
            .or_insert(row.id);
        *id = (*id).min(row.id);
    }
    let heads: HashSet<i64> = earliest.into_values().collect();
    let check = expand_ids(CLAIM_BLOCKED, heads.len());
    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(check.as_str()));
    for id in &heads {
        q = q.bind(*id);
    }
    let blocked: HashSet<i64> = q.fetch_all(&mut *tx).await?.into_iter().collect();

    let (chosen, waiting): (Vec<QueueRow>, Vec<QueueRow>) = candidates
        .into_iter()
        .partition(|r| heads.contains(&r.id) && !blocked.contains(&r.id));
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

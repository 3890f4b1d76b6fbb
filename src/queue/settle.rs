//! Settling claimed rows: complete, retry, release, bury. Each statement filters on the
//! row ids and the lease token, so only the current holder changes a row.

use std::time::Duration;

use sqlx::mysql::{MySqlConnection, MySqlPool};

use super::{expand_ids, expand_list, micros};

const COMPLETE: &str = include_str!("../../sql/queue_complete.sql");
const RETRY: &str = include_str!("../../sql/queue_retry.sql");
const RELEASE: &str = include_str!("../../sql/queue_release.sql");
const RELEASE_THROTTLED: &str = include_str!("../../sql/queue_release_throttled.sql");
const BURY: &str = include_str!("../../sql/queue_bury.sql");
const SETTLED: &str = include_str!("../../sql/queue_select_settled.sql");

async fn by_ids(
    pool: &MySqlPool,
    template: &str,
    head: &[i64],
    ids: &[i64],
    owner: &str,
) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = expand_ids(template, ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for v in head {
        q = q.bind(*v);
    }
    for id in ids {
        q = q.bind(*id);
    }
    Ok(q.bind(owner).execute(pool).await?.rows_affected())
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

/// Make rows available again after `delay`, each keeping its own error (`rows` is
/// `(id, error)`).
pub async fn retry(
    pool: &MySqlPool,
    rows: &[(i64, &str)],
    owner: &str,
    delay: Duration,
) -> Result<u64, sqlx::Error> {
    later_with_errors(pool, RETRY, rows, owner, delay).await
}

/// `template` (retry or throttled release) with its delay and each row's (truncated)
/// error: binds the delay, the ids, their errors, the ids again, the owner.
async fn later_with_errors(
    pool: &MySqlPool,
    template: &str,
    rows: &[(i64, &str)],
    owner: &str,
    delay: Duration,
) -> Result<u64, sqlx::Error> {
    if rows.is_empty() {
        return Ok(0);
    }
    let sql = expand_list(&expand_ids(template, rows.len()), "{errors}", rows.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(micros(delay));
    for (id, _) in rows {
        q = q.bind(*id);
    }
    for (_, error) in rows {
        q = q.bind(truncate(error, 1000));
    }
    for (id, _) in rows {
        q = q.bind(*id);
    }
    Ok(q.bind(owner).execute(pool).await?.rows_affected())
}

/// After a complete changed fewer rows than it named: each of `ids` with its attempts
/// and whether it is delivered (`(id, attempts, processed)`).
pub async fn settled(pool: &MySqlPool, ids: &[i64]) -> Result<Vec<(i64, u32, bool)>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = expand_ids(SETTLED, ids.len());
    let mut q = sqlx::query_as::<_, (i64, u32, bool)>(sqlx::AssertSqlSafe(sql.as_str()));
    for id in ids {
        q = q.bind(*id);
    }
    q.fetch_all(pool).await
}

/// Hand back `ids` unsent, without counting the attempt; available again after `delay`.
pub async fn release(
    pool: &MySqlPool,
    ids: &[i64],
    owner: &str,
    delay: Duration,
) -> Result<u64, sqlx::Error> {
    by_ids(pool, RELEASE, &[micros(delay)], ids, owner).await
}

/// Hand back rows after a 429: the attempt is not counted (a rate limit says nothing
/// about the rows), each row's answer is kept (`rows` is `(id, error)`); available
/// again after `delay`.
pub async fn throttle(
    pool: &MySqlPool,
    rows: &[(i64, &str)],
    owner: &str,
    delay: Duration,
) -> Result<u64, sqlx::Error> {
    later_with_errors(pool, RELEASE_THROTTLED, rows, owner, delay).await
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
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
    }
}

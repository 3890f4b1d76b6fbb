//! Settling claimed rows: complete, retry, release, bury. Each statement filters on the
//! row ids and the lease token, so only the current holder changes a row.

use std::time::Duration;

use sqlx::mysql::{MySqlConnection, MySqlPool};

use super::{expand_ids, micros};

const COMPLETE: &str = include_str!("../../sql/queue_complete.sql");
const RETRY: &str = include_str!("../../sql/queue_retry.sql");
const RELEASE: &str = include_str!("../../sql/queue_release.sql");
const RELEASE_THROTTLED: &str = include_str!("../../sql/queue_release_throttled.sql");
const BURY: &str = include_str!("../../sql/queue_bury.sql");

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
    later_with_error(pool, RETRY, ids, owner, delay, error).await
}

/// `template` (retry or throttled release) with its delay and (truncated) error.
async fn later_with_error(
    pool: &MySqlPool,
    template: &str,
    ids: &[i64],
    owner: &str,
    delay: Duration,
    error: &str,
) -> Result<u64, sqlx::Error> {
    let error = truncate(error, 1000);
    by_ids(
        pool,
        template,
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

/// Hand back `ids` after a 429: the attempt is not counted (a rate limit says nothing
/// about the rows), `error` is kept; available again after `delay`.
pub async fn throttle(
    pool: &MySqlPool,
    ids: &[i64],
    owner: &str,
    delay: Duration,
    error: &str,
) -> Result<u64, sqlx::Error> {
    later_with_error(pool, RELEASE_THROTTLED, ids, owner, delay, error).await
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

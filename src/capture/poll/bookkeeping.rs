//! The poller's bookkeeping outside a page: the checkpoint of each polled table
//! (`certyo_capture_poll`: floor, newest stamp, the trailing window's low end) and the
//! versions seen (`certyo_capture_poll_seen`): start, reset, forget, seed, prune, list.

use chrono::NaiveDateTime;
use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::{db, CaptureError, PollSql};

/// A table's checkpoint.
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    pub floor: NaiveDateTime,
    pub high: Option<NaiveDateTime>,
}

impl Checkpoint {
    /// The low end of the trailing window: `lag` before the newest stamp, never below
    /// the floor.
    pub fn window_low(&self, lag: std::time::Duration) -> NaiveDateTime {
        let lag = chrono::Duration::from_std(lag).unwrap_or(chrono::Duration::MAX);
        match self.high {
            None => self.floor,
            Some(h) => h
                .checked_sub_signed(lag)
                .map_or(self.floor, |l| l.max(self.floor)),
        }
    }
}

/// The database clock (UTC session): (one second ago, now).
pub async fn db_now(
    conn: &mut MySqlConnection,
) -> Result<(NaiveDateTime, NaiveDateTime), CaptureError> {
    sqlx::query_as(include_str!("../../../sql/poll_now.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(db("reading the database clock"))
}

/// Start polling `table` from `floor`, keeping an existing checkpoint.
pub async fn checkpoint_start(
    conn: &mut MySqlConnection,
    table: &str,
    floor: NaiveDateTime,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../../sql/poll_checkpoint_start.sql"))
        .bind(table)
        .bind(floor)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the poll checkpoint (certyo_capture_poll)"))?;
    Ok(())
}

/// Restart polling `table` at (`floor`, `high`), forgetting the versions seen before.
pub async fn checkpoint_reset(
    conn: &mut MySqlConnection,
    table: &str,
    floor: NaiveDateTime,
    high: NaiveDateTime,
) -> Result<(), CaptureError> {
    forget(conn, table, false).await?;
    sqlx::query(include_str!("../../../sql/poll_checkpoint_reset.sql"))
        .bind(table)
        .bind(floor)
        .bind(high)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the poll checkpoint (certyo_capture_poll)"))?;
    Ok(())
}

/// Forget the versions seen for `table` and, with `checkpoint`, its checkpoint.
pub async fn forget(
    conn: &mut MySqlConnection,
    table: &str,
    checkpoint: bool,
) -> Result<(), CaptureError> {
    sqlx::query(include_str!("../../../sql/poll_seen_clear.sql"))
        .bind(table)
        .execute(&mut *conn)
        .await
        .map_err(db("clearing certyo_capture_poll_seen"))?;
    if checkpoint {
        sqlx::query(include_str!("../../../sql/poll_checkpoint_delete.sql"))
            .bind(table)
            .execute(&mut *conn)
            .await
            .map_err(db("removing the poll checkpoint"))?;
    }
    Ok(())
}

/// Record every row stamped at or after `floor` as already enqueued (a table switched
/// from triggers, which enqueued them). Run under the table lock.
pub async fn seed_seen(
    conn: &mut MySqlConnection,
    sql: &PollSql,
    floor: NaiveDateTime,
) -> Result<u64, CaptureError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.seed.as_str()))
        .bind(floor)
        .execute(&mut *conn)
        .await
        .map_err(db("recording the rows the triggers captured"))?;
    Ok(done.rows_affected())
}
/// Forget versions of `table` stamped before `low` (at most `limit`); returns how many.
pub async fn prune(
    conn: &mut MySqlConnection,
    table: &str,
    low: NaiveDateTime,
    limit: u64,
) -> Result<u64, CaptureError> {
    let done = sqlx::query(include_str!("../../../sql/poll_seen_prune.sql"))
        .bind(table)
        .bind(low)
        .bind(limit as i64)
        .execute(&mut *conn)
        .await
        .map_err(db("pruning certyo_capture_poll_seen"))?;
    Ok(done.rows_affected())
}

/// Every polled table's checkpoint, for status: (table, floor, high, rows enqueued,
/// last polled). Empty before migration V9.
pub async fn checkpoints(conn: &mut MySqlConnection) -> Result<Vec<CheckpointRow>, CaptureError> {
    let rows = match sqlx::query(include_str!("../../../sql/poll_checkpoint_list.sql"))
        .fetch_all(&mut *conn)
        .await
    {
        Ok(rows) => rows,
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42S02") => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(db("reading the poll checkpoints")(e)),
    };
    rows.iter()
        .map(|r| {
            let n: i64 = r.try_get(3)?;
            Ok(CheckpointRow {
                table: r.try_get(0)?,
                floor: r.try_get(1)?,
                high: r.try_get(2)?,
                rows_enqueued: n.max(0) as u64,
                polled_at: r.try_get(4)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db("decoding the poll checkpoints"))
}

#[derive(Debug, Clone)]
pub struct CheckpointRow {
    pub table: String,
    pub floor: NaiveDateTime,
    pub high: Option<NaiveDateTime>,
    pub rows_enqueued: u64,
    pub polled_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_lag_before_the_newest_stamp_but_never_below_the_floor() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        let lag = std::time::Duration::from_secs(5);
        let ck = Checkpoint {
            floor: t("2026-01-01 00:00:00"),
            high: Some(t("2026-01-01 00:01:00")),
        };
        assert_eq!(ck.window_low(lag), t("2026-01-01 00:00:55"));
        let young = Checkpoint {
            floor: t("2026-01-01 00:00:58"),
            ..ck
        };
        assert_eq!(young.window_low(lag), t("2026-01-01 00:00:58"));
        let fresh = Checkpoint { high: None, ..ck };
        assert_eq!(fresh.window_low(lag), t("2026-01-01 00:00:00"));
    }
}

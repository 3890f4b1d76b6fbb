//! `certyo-queue dead list | requeue | purge`: inspect and replay dead letters.
//!
//! Invariants:
//! - A requeue makes a dead row pending again in place (`dead_at` NULL, available now,
//!   `attempts` 0, lease cleared): the row keeps its id, so Certyo sees the same
//!   idempotency key `queue-<id>`; `last_error` is kept until the next failure.
//! - Only dead rows are touched: every UPDATE/DELETE re-checks `dead_at IS NOT NULL`
//!   (a row requeued or purged meanwhile is left alone); ids that are not dead letters
//!   are refused and reported, and the exit code is then 2.
//! - `--all` and `purge` work in chunks (found through the claim index, where dead letters are (0, NULL), changed
//!   by primary key, each chunk its own statement) up to a cut-off fixed at the start,
//!   so a row that dies again during the run is not taken twice.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use sqlx::mysql::MySqlPool;
use sqlx::Row;

use crate::cli::{DeadArgs, DeadCommand};
use crate::config::DbConfig;
use crate::error::DbError;

use super::status::EXIT_ATTENTION;

/// Rows changed per statement by `requeue` and `purge`.
pub const CHUNK: usize = 1000;

/// Longest `last_error` shown in the text listing (JSON has it whole).
const ERROR_WIDTH: usize = 60;

/// One dead letter, as `dead list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub table: String,
    pub record_id: String,
    pub op: String,
    pub attempts: u32,
    pub dead_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// The newest `limit` dead letters, newest first.
pub async fn list(pool: &MySqlPool, limit: u32) -> Result<Vec<DeadLetter>, DbError> {
    let rows = sqlx::query(include_str!("../../sql/dead_list.sql"))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(DbError::query("listing dead letters"))?;
    rows.iter()
        .map(|r| {
            Ok(DeadLetter {
                id: r.try_get(0)?,
                table: r.try_get(1)?,
                record_id: r.try_get(2)?,
                op: r.try_get(3)?,
                attempts: r.try_get(4)?,
                dead_at: r.try_get(5)?,
                last_error: r.try_get(6)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(DbError::query("decoding dead letters"))
}

/// What `requeue --id` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequeueReport {
    pub requeued: u64,
    /// Ids that are not dead letters (unknown, pending, delivered), ascending.
    pub refused: Vec<i64>,
}

/// Make the dead letters among `ids` pending again; the others are refused.
pub async fn requeue_ids(pool: &MySqlPool, ids: &[i64]) -> Result<RequeueReport, DbError> {
    let wanted: BTreeSet<i64> = ids.iter().copied().collect();
    let wanted: Vec<i64> = wanted.into_iter().collect();
    let mut report = RequeueReport::default();
    for chunk in wanted.chunks(CHUNK) {
        let sql = expand_ids(include_str!("../../sql/dead_select_ids.sql"), chunk.len());
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.as_str()));
        for id in chunk {
            q = q.bind(id);
        }
        let dead: BTreeSet<i64> = q
            .fetch_all(pool)
            .await
            .map_err(DbError::query("finding the dead letters among the ids"))?
            .into_iter()
            .collect();
        report
            .refused
            .extend(chunk.iter().filter(|id| !dead.contains(id)));
        let dead: Vec<i64> = dead.into_iter().collect();
        report.requeued += requeue_chunk(pool, &dead).await?;
    }
    Ok(report)
}

/// Make every dead letter pending again; returns how many.
pub async fn requeue_all(pool: &MySqlPool) -> Result<u64, DbError> {
    let cutoff = db_now(pool).await?;
    let mut requeued = 0;
    loop {
        let ids = dead_before(pool, cutoff).await?;
        if ids.is_empty() {
            return Ok(requeued);
        }
        requeued += requeue_chunk(pool, &ids).await?;
    }
}

/// Delete dead letters that died more than `older_than` ago; returns how many.
pub async fn purge(pool: &MySqlPool, older_than: Duration) -> Result<u64, DbError> {
    let older = chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let Some(cutoff) = db_now(pool).await?.checked_sub_signed(older) else {
        return Ok(0);
    };
    let mut purged = 0;
    loop {
        let ids = dead_before(pool, cutoff).await?;
        if ids.is_empty() {
            return Ok(purged);
        }
        let sql = expand_ids(include_str!("../../sql/dead_purge.sql"), ids.len());
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
        for id in &ids {
            q = q.bind(id);
        }
        purged += q
            .bind(cutoff)
            .execute(pool)
            .await
            .map_err(DbError::query("deleting dead letters"))?
            .rows_affected();
        if ids.len() < CHUNK {
            return Ok(purged);
        }
    }
}

async fn requeue_chunk(pool: &MySqlPool, ids: &[i64]) -> Result<u64, DbError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = expand_ids(include_str!("../../sql/dead_requeue.sql"), ids.len());
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
    for id in ids {
        q = q.bind(id);
    }
    let done = q
        .execute(pool)
        .await
        .map_err(DbError::query("requeueing dead letters"))?;
    Ok(done.rows_affected())
}

async fn db_now(pool: &MySqlPool) -> Result<NaiveDateTime, DbError> {
    sqlx::query_scalar(include_str!("../../sql/dead_now.sql"))
        .fetch_one(pool)
        .await
        .map_err(DbError::query("reading the database clock"))
}

async fn dead_before(pool: &MySqlPool, cutoff: NaiveDateTime) -> Result<Vec<i64>, DbError> {
    sqlx::query_scalar(include_str!("../../sql/dead_select_before.sql"))
        .bind(cutoff)
        .bind(CHUNK as i64)
        .fetch_all(pool)
        .await
        .map_err(DbError::query("selecting dead letters"))
}

fn expand_ids(template: &str, n: usize) -> String {
    template.replace("{ids}", &vec!["?"; n].join(","))
}

/// `s` cut to `width` characters on one line, with `…` when cut.
fn clip(s: &str, width: usize) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().count() <= width {
        return line;
    }
    let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The text listing.
pub fn render_list(letters: &[DeadLetter]) -> String {
    let mut out = String::new();
    if letters.is_empty() {
        let _ = writeln!(out, "no dead letters");
        return out;
    }
    let tw = letters
        .iter()
        .map(|d| d.table.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let rw = letters
        .iter()
        .map(|d| d.record_id.chars().count().min(24))
        .max()
        .unwrap_or(9)
        .max(9);
    let _ = writeln!(
        out,
        "{:>10}  {:<tw$}  {:<rw$}  {:<6}  {:>8}  {:<26}  last_error",
        "id", "table", "record_id", "op", "attempts", "dead_at (UTC)"
    );
    for d in letters {
        let _ = writeln!(
            out,
            "{:>10}  {:<tw$}  {:<rw$}  {:<6}  {:>8}  {:<26}  {}",
            d.id,
            d.table,
            clip(&d.record_id, 24),
            d.op,
            d.attempts,
            d.dead_at.format("%Y-%m-%d %H:%M:%S%.6f"),
            clip(d.last_error.as_deref().unwrap_or(""), ERROR_WIDTH)
        );
    }
    out
}

#[derive(Serialize)]
struct ListJson<'a> {
    count: usize,
    dead_letters: &'a [DeadLetter],
}

/// `certyo-queue dead …`.
pub async fn run_cli(args: &DeadArgs) -> anyhow::Result<ExitCode> {
    let db_args = match &args.command {
        DeadCommand::List(a) => &a.db,
        DeadCommand::Requeue(a) => &a.db,
        DeadCommand::Purge(a) => &a.db,
    };
    let db = DbConfig::from_args(db_args)?;
    let pool = crate::db::connect(&db, 1).await?;
    let result = run(&pool, &args.command).await;
    pool.close().await;
    match result {
        Err(e) if e
            .downcast_ref::<DbError>()
            .is_some_and(|d| matches!(d, DbError::Query { source, .. } if super::status::is_missing_table(source))) =>
        {
            anyhow::bail!(
                "no certyo_queue table in database `{}`: run `certyo-queue migrate` first",
                db.schema().unwrap_or_default()
            )
        }
        other => other,
    }
}

async fn run(pool: &MySqlPool, command: &DeadCommand) -> anyhow::Result<ExitCode> {
    match command {
        DeadCommand::List(a) => {
            let letters = list(pool, a.limit).await?;
            if a.json {
                let body = ListJson {
                    count: letters.len(),
                    dead_letters: &letters,
                };
                println!("{}", serde_json::to_string_pretty(&body)?);
            } else {
                print!("{}", render_list(&letters));
            }
            Ok(ExitCode::SUCCESS)
        }
        DeadCommand::Requeue(a) if a.all => {
            let n = requeue_all(pool).await?;
            println!("requeued {n} dead letter(s)");
            Ok(ExitCode::SUCCESS)
        }
        DeadCommand::Requeue(a) => {
            let report = requeue_ids(pool, &a.ids).await?;
            println!("requeued {} dead letter(s)", report.requeued);
            if report.refused.is_empty() {
                return Ok(ExitCode::SUCCESS);
            }
            let ids: Vec<String> = report.refused.iter().map(|i| i.to_string()).collect();
            eprintln!(
                "not dead letters, left alone: {} (unknown ids, or rows pending or delivered)",
                ids.join(", ")
            );
            Ok(ExitCode::from(EXIT_ATTENTION))
        }
        DeadCommand::Purge(a) => {
            let n = purge(pool, a.older_than).await?;
            println!(
                "purged {n} dead letter(s) dead for more than {}",
                humantime::format_duration(a.older_than)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

//! `certyo-queue dead list | requeue | purge`: inspect and replay dead letters (the
//! statements are `crate::queue::dead_letters`).
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

use std::fmt::Write as _;
use std::process::ExitCode;

use serde::Serialize;
use sqlx::mysql::MySqlPool;

use crate::cli::{DeadArgs, DeadCommand};
use crate::config::DbConfig;
use crate::error::DbError;
use crate::queue::dead_letters::{list, purge, requeue_all, requeue_ids, DeadLetter};

use super::status::EXIT_ATTENTION;

/// Longest `last_error` shown in the text listing (JSON has it whole).
const ERROR_WIDTH: usize = 60;

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

//! `certyo-queue backfill`: one run with a progress display, the outcome printed.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{run, BackfillConfig, BackfillEnd, Progress};
use crate::cli::BackfillArgs;
use crate::config::DbConfig;

/// `certyo-queue backfill --table T [--batch N] [--restart]`.
pub async fn run_cli(args: &BackfillArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 1).await?;
    let cfg = BackfillConfig {
        batch: args.batch,
        restart: args.restart,
        max_chunks: None,
    };
    let terminal = std::io::stderr().is_terminal();
    let mut last_log: Option<Instant> = None;
    let mut show = |p: &Progress| {
        let of = if p.estimated_rows > 0 {
            let pct = (p.enqueued as f64 * 100.0 / p.estimated_rows as f64).min(100.0);
            format!(" of ~{} ({pct:.0}%)", p.estimated_rows)
        } else {
            String::new()
        };
        if terminal {
            eprint!(
                "\rbackfill {}: {} rows enqueued{of}   ",
                p.table, p.enqueued
            );
        } else if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            last_log = Some(Instant::now());
            tracing::info!(event = "backfill.progress",
                table = %p.table,
                enqueued = p.enqueued,
                estimated_rows = p.estimated_rows,
                chunks = p.chunks,
                "backfill.progress: {} rows enqueued{of}",
                p.enqueued
            );
        }
    };
    let result = run(&pool, &schema, &args.table, &cfg, &stop, &mut show).await;
    if terminal {
        eprintln!();
    }
    pool.close().await;
    let r = result?;
    let t = &r.table;
    match r.outcome {
        BackfillEnd::Complete => {
            println!(
                "backfill `{t}`: complete; {} rows enqueued as upsert events ({} by this run, {} chunks, {} ms)",
                r.enqueued_total,
                r.enqueued_now,
                r.chunks,
                r.elapsed.as_millis()
            );
            Ok(ExitCode::SUCCESS)
        }
        BackfillEnd::AlreadyComplete { finished_at } => {
            println!(
                "backfill `{t}`: already complete ({} rows enqueued, finished {}); nothing enqueued. Use --restart to enqueue every row again.",
                r.enqueued_total,
                finished_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            Ok(ExitCode::SUCCESS)
        }
        BackfillEnd::Interrupted => {
            println!(
                "backfill `{t}`: interrupted after {} rows ({} by this run); run the same command again to resume",
                r.enqueued_total, r.enqueued_now
            );
            if stop.is_cancelled() {
                eprintln!("interrupted: the chunk in flight finished (or, waiting for a row an application held, was left to repeat); run the same command again to resume");
                Ok(ExitCode::from(crate::shutdown::signal_exit_code()))
            } else {
                Ok(ExitCode::FAILURE)
            }
        }
    }
}

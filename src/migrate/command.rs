//! `certyo-queue migrate`: arguments to a `MigratePlan`, one run, the summary printed.

use std::process::ExitCode;

use super::names::{check_table_names, clean_names};
use tokio_util::sync::CancellationToken;

use super::{run_until, summary, MigrateError, MigratePlan};
use crate::capture::{registry, CaptureError};
use crate::cli::MigrateArgs;
use crate::config::DbConfig;
use crate::db;
use crate::shutdown;

/// `certyo-queue migrate`: resolve settings, run, print a readable summary.
/// `migrate` from the command line. A signal before the lock is taken stops it with
/// 130 / 143 and nothing changed; after that it finishes, prints its summary, and then
/// exits with 130 / 143 saying so.
pub async fn run_cli(args: &MigrateArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let cfg = DbConfig::from_args(&args.db)?;
    let columns = |specs: &[String]| -> Result<Vec<(String, String)>, CaptureError> {
        clean_names(specs)
            .iter()
            .map(|s| MigratePlan::parse_column(s))
            .collect()
    };
    let plan = MigratePlan {
        tables: clean_names(&args.tables),
        uncapture: clean_names(&args.uncapture),
        digest: columns(&args.digest_columns)?,
        no_digest: columns(&args.no_digest_columns)?,
        dry_run: args.dry_run,
        lock_wait: Some(args.lock_wait_timeout),
        capture: args.capture.map(|c| match c {
            crate::cli::CaptureSource::Trigger => registry::Source::Trigger,
            crate::cli::CaptureSource::Poll => registry::Source::Poll,
            crate::cli::CaptureSource::Binlog => registry::Source::Binlog,
        }),
        poll_column: args.poll_column.clone(),
        poll_column_trusted: args.poll_column_trusted,
        create_index: args.create_index,
    };
    // Before connecting: a bad name is refused even when the database is unreachable.
    check_table_names(args.tables.iter().chain(&args.uncapture))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let interrupted = || {
        eprintln!("interrupted: {}", MigrateError::Interrupted);
        Ok(ExitCode::from(shutdown::signal_exit_code()))
    };
    let pool = tokio::select! {
        pool = db::connect(&cfg, 1) => pool.map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))?,
        _ = stop.cancelled() => return interrupted(),
    };
    let result = run_until(&pool, &plan, &stop).await;
    if let Err(MigrateError::Interrupted) = result {
        return interrupted();
    }
    pool.close().await;
    let report = result.map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))?;
    print!("{}", summary(&report));
    if stop.is_cancelled() {
        eprintln!("interrupted: migrate finished what it had started first (above)");
        return Ok(ExitCode::from(shutdown::signal_exit_code()));
    }
    Ok(ExitCode::SUCCESS)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

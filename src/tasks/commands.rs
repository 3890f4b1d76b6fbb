//! The `cleanup` and `verify` commands: one pass (or rounds until nothing is due) by
//! hand, under the same leader lock as the scheduled job, with a summary line.

use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use super::{Cleaner, ScheduleConfig, Verifier, VerifyReport};
use crate::certyo::CertyoClient;
use crate::cli::{CleanupArgs, VerifyArgs};
use crate::config::{ApiConfig, DbConfig};
use crate::leader::Leader;

/// `certyo-queue cleanup`: one pass, under the cleanup leader lock.
pub async fn run_cleanup_cli(args: &CleanupArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let cfg = ScheduleConfig::from_args(&args.schedule)?;
    let schema = db.schema().unwrap_or_default();
    let pool = crate::db::connect(&db, 2).await?;
    let mut leader = Leader::new(&pool, &schema, "cleanup", cfg.leader_check);
    if !leader.ensure().await? {
        println!(
            "cleanup: another process holds the lock {} and runs cleanup; nothing done",
            leader.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let cleaner = Cleaner::new(pool.clone(), cfg.cleanup)?;
    let result = cleaner.run_once(&CancellationToken::new()).await;
    leader.release().await;
    let r = result?;
    println!(
        "cleanup: removed {} delivered and {} dead queue rows in {} chunks, {} ms",
        r.delivered_deleted,
        r.dead_deleted,
        r.chunks,
        r.elapsed.as_millis()
    );
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `certyo-queue verify`: rounds until no row is due (or `--max-rows`), under the
/// verification leader lock.
pub async fn run_verify_cli(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let cfg = ScheduleConfig::from_args(&args.schedule)?;
    let schema = db.schema().unwrap_or_default();
    let api = ApiConfig::from_args(&args.api, &schema)?;
    let client = CertyoClient::new(api, args.api.api_key_file.clone())?;
    let pool = crate::db::connect(&db, 4).await?;
    let mut leader = Leader::new(&pool, &schema, "verify", cfg.leader_check);
    if !leader.ensure().await? {
        println!(
            "verify: another process holds the lock {} and runs verification; nothing done",
            leader.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let verifier = Verifier::new(pool.clone(), client, schema, cfg.verify)?;
    // Rounds until nothing is due: rows answered "not yet" are pushed back, Anchored and
    // Failed ones leave Pending, so a round that checks nothing is the end. A round
    // with API errors ends the run too (its rows would only be asked again at once).
    let mut total = VerifyReport::default();
    let mut rounds = 0u64;
    let result = loop {
        let round = match verifier.run_once(&CancellationToken::new()).await {
            Ok(r) => r,
            Err(e) => break Err(e),
        };
        rounds += 1;
        total.tables = total.tables.max(round.tables);
        total.checked += round.checked;
        total.anchored += round.anchored;
        total.not_yet += round.not_yet;
        total.failed += round.failed;
        total.retry_later += round.retry_later;
        total.superseded += round.superseded;
        total.elapsed += round.elapsed;
        if round.checked > 0 {
            eprintln!(
                "verify: round {rounds}: {} checked ({} anchored, {} not yet, {} failed); {} so far",
                round.checked, round.anchored, round.not_yet, round.failed, total.checked
            );
        }
        let capped = args.max_rows.is_some_and(|m| total.checked >= m);
        if round.checked == 0 || round.retry_later > 0 || capped {
            break Ok(());
        }
    };
    leader.release().await;
    result?;
    let r = total;
    println!(
        "verify: {} rows checked in {} tables over {rounds} round(s): {} anchored, {} not yet, {} failed, {} left for a retry, {} changed meanwhile ({} ms)",
        r.checked,
        r.tables,
        r.anchored,
        r.not_yet,
        r.failed,
        r.retry_later,
        r.superseded,
        r.elapsed.as_millis()
    );
    pool.close().await;
    Ok(ExitCode::SUCCESS)
}

//! `certyo-queue audit`: arguments to an `AuditConfig` (and a prover when a key is
//! set), one run with progress, the report printed, the exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use super::prove::Prover;
use super::{
    progress_printer, render_text, run, AuditConfig, AuditError, AuditReport, EXIT_ALTERED,
};
use crate::certyo::CertyoClient;
use crate::cli::AuditArgs;
use crate::config::{ApiConfig, DbConfig};

/// The exit code of a finished report: 0 clean, 2 something altered or gone.
pub fn exit_code(report: &AuditReport) -> ExitCode {
    if report.clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ALTERED)
    }
}

/// `certyo-queue audit [--table T]… [--json] [--limit N] [--mark] [--prove N|all]`.
pub async fn run_cli(args: &AuditArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let db = DbConfig::from_args(&args.db)?;
    let schema = db.schema().unwrap_or_default();
    let has_key = args.api.api_key.is_some() || args.api.api_key_file.is_some();
    let prover = if args.local || (!has_key && args.prove.is_none()) {
        None
    } else {
        // --prove without a key fails here, naming the missing setting.
        let api = ApiConfig::from_args(&args.api, &schema)?;
        Some(Prover {
            client: CertyoClient::new(api, args.api.api_key_file.clone())?,
            concurrency: args.concurrency,
        })
    };
    let cfg = AuditConfig {
        tables: args.tables.clone(),
        chunk: args.chunk,
        limit: args.limit,
        mark: args.mark,
        sample: args.prove.unwrap_or(0),
        resume_after: match &args.resume_after {
            None => None,
            Some(text) => {
                Some(serde_json::from_str::<Vec<String>>(text).map_err(|_| AuditError::Resume)?)
            }
        },
    };
    let pool = crate::db::connect(&db, 2).await?;
    let terminal = std::io::stderr().is_terminal();
    let mut show = progress_printer();
    let result = run(&pool, &schema, &cfg, prover.as_ref(), &stop, &mut show).await;
    if terminal {
        eprintln!();
    }
    pool.close().await;
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report));
        if prover.is_none() && !report.clean {
            println!("(local pass only: set CERTYO_API_KEY and CERTYO_TENANT_ID to have Certyo confirm the altered rows)");
        }
    }
    if report.interrupted {
        return Ok(ExitCode::from(crate::shutdown::signal_exit_code()));
    }
    Ok(exit_code(&report))
}

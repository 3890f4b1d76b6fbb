//! Scheduled cleanup and verification. (being written)
use std::process::ExitCode;

use crate::cli::{CleanupArgs, VerifyArgs};

pub async fn run_cleanup_cli(_args: &CleanupArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("cleanup is not implemented yet")
}

pub async fn run_verify_cli(_args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("verify is not implemented yet")
}

//! The delivery pool. (being written)
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cli::WorkArgs;

pub async fn run_cli(_args: &WorkArgs, _stop: CancellationToken) -> anyhow::Result<ExitCode> {
    anyhow::bail!("work is not implemented yet")
}

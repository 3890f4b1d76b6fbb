//! The local Certyo API emulator. (being written)
use std::process::ExitCode;

use tokio_util::sync::CancellationToken;

use crate::cli::EmulatorArgs;

pub async fn run_cli(_args: &EmulatorArgs, _stop: CancellationToken) -> anyhow::Result<ExitCode> {
    anyhow::bail!("emulator is not implemented yet")
}

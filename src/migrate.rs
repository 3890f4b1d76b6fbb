//! The `migrate` command. (being written)
use std::process::ExitCode;

use crate::cli::MigrateArgs;

pub async fn run_cli(_args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("migrate is not implemented yet")
}

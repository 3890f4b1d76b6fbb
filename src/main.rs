//! The binary: parse the command line, set up logging, call the library, and turn an
//! error into one readable line and a non-zero exit code.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use certyo_queue::cli::{Cli, Command, LogFormat};
use certyo_queue::{bench, emulator, migrate, ops, shutdown, tasks, worker};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let stop = shutdown::on_signal();
    match command {
        Command::Migrate(args) => migrate::run_cli(&args).await,
        Command::Work(args) => worker::run_cli(&args, stop).await,
        Command::Emulator(args) => emulator::run_cli(&args, stop).await,
        Command::Cleanup(args) => tasks::run_cleanup_cli(&args).await,
        Command::Verify(args) => tasks::run_verify_cli(&args).await,
        Command::Status(args) => ops::status::run_cli(&args).await,
        Command::Dead(args) => ops::dead::run_cli(&args).await,
        Command::Backfill(args) => ops::backfill::run_cli(&args, stop).await,
        Command::Bench(args) => bench::run_cli(&args, stop).await,
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

//! The binary: parse the command line, set up logging, call the library, and turn an
//! error into one readable line and a non-zero exit code.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use certyo_queue::cli::{Cli, Command, LogFormat};
use certyo_queue::{bench, commands, emulator, migrate, ops, shutdown, tasks};

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
        // migrate stops while it waits for its lock, but finishes what it started once
        // it holds it (a half-done trigger regeneration would leave a table uncaptured).
        Command::Migrate(args) => migrate::run_cli(&args, stop).await,
        Command::Work(args) => commands::work::run(&args, stop).await,
        Command::Emulator(args) => emulator::run_cli(&args, stop).await,
        Command::Cleanup(args) => until_stopped(tasks::run_cleanup_cli(&args), &stop).await,
        Command::Verify(args) => until_stopped(tasks::run_verify_cli(&args), &stop).await,
        Command::Status(args) => until_stopped(ops::status::run_cli(&args), &stop).await,
        Command::Dead(args) => until_stopped(ops::dead::run_cli(&args), &stop).await,
        Command::Backfill(args) => ops::backfill::run_cli(&args, stop).await,
        Command::Audit(args) => ops::audit::run_cli(&args, stop).await,
        Command::Bench(args) => bench::run_cli(&args, stop).await,
    }
}

/// Run a one-shot command until it ends or a signal arrives. On a signal the command's
/// future is dropped: its open transaction (if any) dies with the connection and is
/// rolled back by the server, so every committed step stays and nothing is half-done.
async fn until_stopped(
    command: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
    stop: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<ExitCode> {
    tokio::select! {
        result = command => result,
        _ = stop.cancelled() => {
            eprintln!("interrupted: stopped before finishing; every step already committed stays");
            Ok(ExitCode::from(shutdown::signal_exit_code()))
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only on a terminal: a log file or a log shipper gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

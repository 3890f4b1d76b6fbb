//! One `CancellationToken` from `main` down, cancelled by SIGINT or SIGTERM.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio_util::sync::CancellationToken;

/// The exit code of the signal that stopped us (130 SIGINT, 143 SIGTERM), 0 if none.
static SIGNAL_EXIT: AtomicU8 = AtomicU8::new(0);

/// A token cancelled on the first SIGINT (Ctrl-C) or SIGTERM.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let code = wait_for_signal().await;
        SIGNAL_EXIT.store(code, Ordering::Relaxed);
        tracing::info!(event = "shutdown.requested", "shutdown requested");
        t.cancel();
    });
    token
}

/// The conventional exit code for the signal received: 130 (SIGINT), 143 (SIGTERM).
pub fn signal_exit_code() -> u8 {
    match SIGNAL_EXIT.load(Ordering::Relaxed) {
        0 => 130,
        c => c,
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> u8 {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => 130,
                _ = term.recv() => 143,
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            130
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> u8 {
    let _ = tokio::signal::ctrl_c().await;
    130
}

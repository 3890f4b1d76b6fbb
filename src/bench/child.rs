//! The worker under test: `certyo-queue work --no-scheduled` run as a child process of
//! the bench, exactly as a user deploys it, so that its CPU time and peak memory are its
//! own (the emulator and the bench's drivers stay in the parent). Settings go through
//! the environment (DATABASE_URL holds the password: never on the command line).
//!
//! The child is killed when its handle drops (also when the bench is interrupted).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::mysql::MySqlPool;
use tokio::process::{Child, Command};

use super::procfs;
use crate::cli::DeliveryArgs;
use crate::emulator;
use crate::queue;

pub struct WorkChild {
    child: Child,
    pid: u32,
    log: PathBuf,
}

/// What the child used while it ran.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub cpu_s: Option<f64>,
    pub peak_rss: Option<u64>,
}

impl WorkChild {
    /// Start `work` on the database at `db_url`, delivering to the emulator at `api_url`.
    pub fn spawn(
        db_url: &str,
        api_url: &str,
        d: &DeliveryArgs,
        concurrency: usize,
    ) -> anyhow::Result<WorkChild> {
        // CERTYO_BENCH_WORK_BINARY: measure another build's `work` (e.g. the previous
        // release) in the same run; by default this binary.
        let exe = match std::env::var_os("CERTYO_BENCH_WORK_BINARY") {
            Some(path) => PathBuf::from(path),
            None => std::env::current_exe().context("locating the certyo-queue binary")?,
        };
        let log = std::env::temp_dir().join(format!(
            "certyo-bench-work-{}-{:06x}.log",
            std::process::id(),
            fastrand::u32(..0x100_0000)
        ));
        let log_file =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let dur = |d: Duration| humantime::format_duration(d).to_string();
        let child = Command::new(exe)
            .arg("work")
            .arg("--no-scheduled")
            .args(["--concurrency", &concurrency.to_string()])
            .args(["--batch-size", &d.batch_size.to_string()])
            .args(["--bulk-threshold", &d.bulk_threshold.to_string()])
            .args(["--poll-interval", &dur(d.poll_interval)])
            .args(["--lease", &dur(d.lease)])
            .args(["--max-attempts", &d.max_attempts.to_string()])
            .args(["--progress-interval", "1h"])
            // Any free port: the bench reads no metrics, and a `work` already serving the
            // default 127.0.0.1:9464 on this host must not make it fail.
            .args(["--metrics-addr", "127.0.0.1:0"])
            .env("DATABASE_URL", db_url)
            .env("CERTYO_API_KEY", emulator::DEFAULT_API_KEY)
            .env("CERTYO_TENANT_ID", emulator::DEFAULT_TENANT_ID)
            .env("CERTYO_BASE_URL", api_url)
            .env_remove("CERTYO_API_KEY_FILE")
            .env_remove("CERTYO_DATABASE")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .context("starting `certyo-queue work`")?;
        let pid = child.id().context("the work process exited at once")?;
        Ok(WorkChild { child, pid, log })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Wait until no queue row is pending or leased. Fails if the child exits or the
    /// deadline passes.
    pub async fn wait_drained(
        &mut self,
        pool: &MySqlPool,
        deadline: Duration,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if !queue::scratch::any_undone(pool).await? {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "`certyo-queue work` exited ({status}) before the queue was drained: {}",
                    self.log_tail()
                );
            }
            if started.elapsed() > deadline {
                anyhow::bail!(
                    "the queue was not drained within {deadline:?}: {}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// CPU time and peak RSS so far (read while the process is alive).
    pub fn usage(&self) -> Usage {
        Usage {
            cpu_s: procfs::cpu_time(self.pid).map(|d| d.as_secs_f64()),
            peak_rss: procfs::peak_rss(self.pid),
        }
    }

    /// Kill the child and wait for it (its log goes when the handle drops).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join("\n");
        if tail.is_empty() {
            "(the worker logged nothing)".into()
        } else {
            format!("its last log lines:\n{tail}")
        }
    }
}

impl Drop for WorkChild {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.log);
    }
}

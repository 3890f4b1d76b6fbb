//! The progress line (and the backlog gauges) every `--progress-interval`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::{sleep_or_stop, Delivery};
use crate::queue;
use crate::telemetry;

impl Delivery {
    pub(super) async fn progress_loop(&self, stop: CancellationToken) {
        let mut last = self.stats.delivered.load(Ordering::Relaxed);
        let mut last_at = Instant::now();
        loop {
            if sleep_or_stop(self.cfg.progress_interval, &stop).await {
                return;
            }
            let now_delivered = self.stats.delivered.load(Ordering::Relaxed);
            let rate = (now_delivered - last) as f64 / last_at.elapsed().as_secs_f64().max(0.001);
            last = now_delivered;
            last_at = Instant::now();
            match queue::backlog(&self.db).await {
                Ok((pending, oldest)) => {
                    self.health.backlog(pending);
                    metrics::gauge!(telemetry::DEPTH).set(pending as f64);
                    metrics::gauge!(telemetry::OLDEST_PENDING).set(oldest.as_secs_f64());
                    tracing::info!(
                    event = "worker.progress",
                    delivered_per_s = format!("{rate:.0}"),
                    pending,
                    oldest_pending = ?Duration::from_millis(oldest.as_millis() as u64),
                    delivered_total = now_delivered,
                    dead_total = self.stats.dead.load(Ordering::Relaxed),
                    "progress"
                    )
                }
                Err(e) => {
                    tracing::warn!(event = "worker.progress", error = %e, "cannot read the backlog")
                }
            }
        }
    }
}

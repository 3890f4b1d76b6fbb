//! The retry of kept write-backs (those that could not land with their delivery),
//! run by every process beside its workers.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{sleep_or_stop, Delivery};
use crate::writeback;

/// How often each process looks for kept write-backs that are due.
const WRITEBACK_DUE_INTERVAL: Duration = Duration::from_millis(500);

impl Delivery {
    /// Retry the write-backs that could not land with their delivery (their source rows
    /// were held by another transaction) until each lands or is superseded. Every
    /// process runs this; SKIP LOCKED gives each a different share.
    pub(super) async fn writeback_due_loop(&self, stop: CancellationToken) {
        let mut pause = WRITEBACK_DUE_INTERVAL;
        loop {
            if sleep_or_stop(pause, &stop).await {
                return;
            }
            match writeback::retry_due(&self.db, &self.schema).await {
                Ok(report) => {
                    pause = WRITEBACK_DUE_INTERVAL;
                    if report.updated + report.skipped + report.deferred > 0 {
                        tracing::debug!(
                            event = "writeback.retry",
                            updated = report.updated,
                            superseded_or_gone = report.skipped,
                            kept = report.deferred,
                            "kept write-backs tried"
                        );
                    }
                    if report.updated + report.skipped + report.unknown
                        == writeback::DUE_BATCH as u64
                    {
                        pause = Duration::ZERO; // more may be due
                    }
                }
                Err(e) => {
                    tracing::warn!(event = "writeback.retry", error = %e, "cannot retry kept write-backs; trying again later");
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
        }
    }
}

//! What `work` shows to operators: Prometheus metrics (the endpoints that serve them,
//! `/metrics`, `/healthz` and `/readyz`, are `crate::health_server`).
//!
//! Metrics go through the `metrics` facade (one process-wide recorder, installed once);
//! every metric name is a constant below so the code and the README agree:
//! - `certyo_queue_delivered_total{table}`, `certyo_queue_retried_total{table}`,
//!   `certyo_queue_dead_total{table}`: rows by outcome.
//! - `certyo_queue_depth`, `certyo_queue_oldest_pending_seconds`: the backlog, refreshed
//!   with the progress line.
//! - `certyo_queue_delivery_latency_seconds`: a row's `created_at` (database clock) to
//!   Certyo's 202 (this host's clock).
//! - `certyo_api_request_duration_seconds{endpoint}`, `certyo_api_responses_total{endpoint,status}`.
//! - `certyo_verify_outcomes_total{outcome}`: anchored, not_yet, failed, retry_later, superseded.
//! - `certyo_queue_claim_conflicts_total`: claims retried after a deadlock or lock wait timeout.
//! - `certyo_queue_lost_leases_total`: rows whose lease expired before this worker settled
//!   them (too slow an API call for `--lease`): their new holder sends them again under
//!   the same idempotency key; they are not counted as delivered, retried or dead here.
//! - `certyo_queue_bulk_uncertain_total`: records a bulk answer did not prove accepted
//!   or refused, confirmed by single calls.
//! - `certyo_rows_altered{table}` (gauge): rows `audit --mark` set to 'Altered',
//!   counted each verification round.
//! - `certyo_ready`, `certyo_api_key_refused`: 1/0, what `/readyz` says and whether
//!   Certyo refuses the key, refreshed every [`READINESS_REFRESH`] (alerts need them as
//!   series: a probe's answer is not scraped).
//! - `certyo_leader{task}`: 1 while this process holds the job's leader lock (set by
//!   `crate::tasks`).
//! - `certyo_capture_triggers{table,state}`, `certyo_queue_dead_letters{table}`: what `status`
//!   says, refreshed by `crate::tasks::capture_health`.
//! - `certyo_capture_lag_seconds{table,source}`: how far the poller is behind a polled
//!   table (0 when caught up).
//!

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const DELIVERED: &str = "certyo_queue_delivered_total";
pub const RETRIED: &str = "certyo_queue_retried_total";
pub const DEAD: &str = "certyo_queue_dead_total";
pub const DEPTH: &str = "certyo_queue_depth";
pub const OLDEST_PENDING: &str = "certyo_queue_oldest_pending_seconds";
pub const DELIVERY_LATENCY: &str = "certyo_queue_delivery_latency_seconds";
pub const API_DURATION: &str = "certyo_api_request_duration_seconds";
pub const API_RESPONSES: &str = "certyo_api_responses_total";
pub const VERIFY_OUTCOMES: &str = "certyo_verify_outcomes_total";
pub const CLAIM_CONFLICTS: &str = "certyo_queue_claim_conflicts_total";
pub const LOST_LEASES: &str = "certyo_queue_lost_leases_total";
pub const BULK_UNCERTAIN: &str = "certyo_queue_bulk_uncertain_total";
/// Gauge: rows marked 'Altered' by `audit --mark`, per table (refreshed each
/// verification round, by the process that runs verification).
pub const ROWS_ALTERED: &str = "certyo_rows_altered";
pub const READY: &str = "certyo_ready";
pub const API_KEY_REFUSED: &str = "certyo_api_key_refused";
pub const LEADER: &str = "certyo_leader";
pub const CAPTURE_TRIGGERS: &str = "certyo_capture_triggers";
pub const DEAD_LETTERS: &str = "certyo_queue_dead_letters";

/// How often the readiness gauges are recomputed.
pub const READINESS_REFRESH: Duration = Duration::from_secs(5);
/// Rows the delivery workers claim per round, summed over the pool (adaptive).
pub const CLAIM_SIZE: &str = "certyo_queue_claim_size";
/// Seconds between now and the newest stamp the poller has passed (0 when caught up),
/// per polled table: `{table, source="poll"}`.
pub const CAPTURE_LAG: &str = "certyo_capture_lag_seconds";

/// Histogram buckets in seconds: 1 ms to 5 min.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use. None if another
/// recorder was installed first (metrics are then not exported).
pub fn recorder() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .clone()
}

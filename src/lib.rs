//! certyo-queue: MySQL row changes, captured into `certyo_queue` (by triggers, a
//! timestamp poller or a binary-log reader), delivered to the Certyo anchoring API. `docs/architecture.md` follows one change from its
//! capture to `Anchored` and names the module of each step.
//!
//! Layout:
//! - `cli`: every command-line type (the `--help` text lives there).
//! - `commands`: the wiring of `work` (delivery pool, scheduled jobs, endpoints).
//! - `config`: settings resolved once; secrets never printed.
//! - `db`: connection pools and session setup.
//! - `schema`: the queue's refinery migrations, run over sqlx.
//! - `capture`: the capture registry and sources: triggers, polling (`capture::poll`)
//!   and the binary-log reader's decoding and checkpoint (`capture::binlog`, run as the
//!   `tasks::binlog` leader job), rendering and tracking columns, all generated from
//!   `information_schema`.
//! - `migrate`: the `migrate` command (schema + capture under one named lock).
//! - `queue`: the statements on `certyo_queue`: claim, hand-over, complete, retry,
//!   bury, release, backlog, dead letters, cleanup, the write-back's version reads,
//!   the reports' reads (`queue::inspect`, for `status` and `audit`) and the bench's
//!   statements on its scratch queue (`queue::scratch`); enqueueing is the capture
//!   sources'.
//! - `certyo`: the Certyo API client and wire types.
//! - `delivery`: the delivery pool: claim → send → settle, pacing (429, auth), progress,
//!   backoff, shutdown.
//! - `delivery::health`: the pool's failure streaks, misdirection and stalls (log, `/readyz`).
//! - `tasks`: scheduled cleanup, verification, the poller and the binlog reader, each
//!   under one leader;
//!   capture health as metrics.
//! - `leader`: one leader per scheduled job across processes (MySQL named lock).
//! - `emulator`: a local Certyo API for tests, demos and benchmarks.
//! - `bench`: `certyo-queue bench`: throughput, latency and resources, measured end to end.
//! - `shutdown`: the signal handling that cancels everything.
//! - `telemetry`: the metric names and the process-wide Prometheus recorder.
//! - `health_server`: the `/metrics`, `/healthz` and `/readyz` endpoints of `work`.
//! - `server_checks`: server settings refused at start (binlog format, trigger trust).
//! - `ops`: operator commands: status, dead letters, backfill, audit.
//! - `writeback`: marks delivered versions on their source rows (status, hash).
//!
//! - `sql`: loading the `sql/` templates: header stripping, `{name}` filling, fragment
//!   files, identifier quoting (backticks doubled).
//!
//! Every SQL statement is a file under `sql/` or `migrations/`.

pub mod bench;
pub mod capture;
pub mod certyo;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod delivery;
pub mod emulator;
pub mod error;
pub mod health_server;
pub mod leader;
pub mod migrate;
pub mod ops;
pub mod queue;
pub mod schema;
pub mod server_checks;
pub mod shutdown;
pub mod sql;
pub mod tasks;
pub mod telemetry;
pub mod writeback;

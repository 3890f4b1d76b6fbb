//! certyo-queue: MySQL row changes, captured by triggers into `certyo_queue`, delivered
//! to the Certyo anchoring API.
//!
//! Layout:
//! - `cli`: every command-line type (the `--help` text lives there).
//! - `config`: settings resolved once; secrets never printed.
//! - `db`: connection pools and session setup.
//! - `schema`: the queue's refinery migrations, run over sqlx.
//! - `capture`: capture triggers (or polling, `capture::poll`) and tracking columns,
//!   generated from `information_schema`.
//! - `migrate`: the `migrate` command (schema + capture under one named lock).
//! - `queue`: the queue's whole SQL surface: claim, complete, retry, bury, release.
//! - `certyo`: the Certyo API client and wire types.
//! - `worker`: the delivery pool: claim → send → complete, backoff, shutdown.
//! - `worker_health`: the pool's failure streaks, misdirection and stalls (log, `/readyz`).
//! - `tasks`: scheduled cleanup, verification and the poller, each under one leader.
//! - `leader`: one leader per scheduled job across processes (MySQL named lock).
//! - `emulator`: a local Certyo API for tests, demos and benchmarks.
//! - `bench`: `certyo-queue bench`: throughput, latency and resources, measured end to end.
//! - `shutdown`: the signal handling that cancels everything.
//! - `server_checks`: server settings refused at start (binlog format, trigger trust).
//! - `ops`: operator commands: status, dead letters, backfill.
//! - `writeback`: marks delivered versions on their source rows (status, hash).
//!
//! Every SQL statement is a file under `sql/` or `migrations/`.

pub mod bench;
pub mod capture;
pub mod certyo;
pub mod cli;
pub mod config;
pub mod db;
pub mod emulator;
pub mod error;
pub mod leader;
pub mod migrate;
pub mod ops;
pub mod queue;
pub mod schema;
pub mod server_checks;
pub mod shutdown;
pub mod tasks;
pub mod telemetry;
pub mod worker;
pub mod worker_health;
pub mod writeback;

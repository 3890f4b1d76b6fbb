//! The `migrate` command: apply the queue schema, then install (or refresh, or remove)
//! the capture triggers and tracking columns of the named tables.
//!
//! Sequence, on one connection, under a server-wide named lock that includes the schema
//! (two migrates of one database queue up, different databases don't block each other):
//! 1. check every named table (exists, base table, primary key, plain names, every
//!    column renderable with the digest options asked for, a key that fits record_id)
//!    — any refusal happens here, before anything changes;
//! 2. apply pending queue-schema migrations (refinery), in version order;
//! 3. record `--digest-column` / `--no-digest-column` in `certyo_capture_digest` (V6),
//!    where later runs, status and backfill find them;
//! 4. per table: one ALTER adding missing tracking columns, then, if the triggers are
//!    missing or differ from what would be generated now, replace all of them under
//!    `LOCK TABLES` (no capture gap), created under fixed session settings;
//! 5. `--uncapture`: drop the table's triggers, keep data, tracking columns, queue rows.
//!
//! Foreign keys whose cascading actions change a captured table bypass its triggers;
//! the report lists them per table (`TableChange::cascades`).
//!
//! `--dry-run` does 1 and plans the rest, printing the exact SQL, changing nothing.
//!
//! Layout: `plan` (what to do, what was done), `error`, `names` (table-name checks),
//! `prepare` (step 1), `apply` (the steps in order), `tables` (step 5), `triggers`
//! (trigger install and restore), `switch` (poll ↔ trigger switches), `exec` (DDL
//! runner), `summary` (the printed report), `command` (`run_cli`).

mod apply;
mod command;
mod error;
mod exec;
mod names;
mod plan;
mod prepare;
mod summary;
mod switch;
mod tables;
mod triggers;

use sha2::{Digest, Sha256};
use sqlx::mysql::{MySqlConnection, MySqlPool};
use tokio_util::sync::CancellationToken;

use self::apply::migrate_locked;
pub use self::command::run_cli;
pub use self::error::MigrateError;
use self::names::check_table_names;
pub use self::plan::{
    MigratePlan, MigrateReport, TableAction, TableChange, LOCK_WAIT_SECS, METADATA_LOCK_TRIES,
    METADATA_LOCK_WAIT,
};
pub use self::summary::{cascade_warning, summary};

/// Run a migrate over a connection from `pool`. The pool must come from `db::connect`
/// (PIPES_AS_CONCAT off: triggers keep the sql_mode of the session that created them).
pub async fn run(pool: &MySqlPool, plan: &MigratePlan) -> Result<MigrateReport, MigrateError> {
    run_until(pool, plan, &CancellationToken::new()).await
}

/// `run`, but `stop` ends the waits before anything is changed (for the connection and
/// for the named lock) with `MigrateError::Interrupted`. Once the lock is held, migrate
/// finishes what it started: a half-done trigger regeneration would leave a table
/// uncaptured.
pub async fn run_until(
    pool: &MySqlPool,
    plan: &MigratePlan,
    stop: &CancellationToken,
) -> Result<MigrateReport, MigrateError> {
    let mut conn = tokio::select! {
        conn = pool.acquire() => conn.map_err(|e| MigrateError::Unreachable(e.to_string()))?,
        _ = stop.cancelled() => return Err(MigrateError::Interrupted),
    };
    run_on_until(&mut conn, plan, stop).await
}

/// Run a migrate on one connection (it holds the named lock and the table locks).
pub async fn run_on(
    conn: &mut MySqlConnection,
    plan: &MigratePlan,
) -> Result<MigrateReport, MigrateError> {
    run_on_until(conn, plan, &CancellationToken::new()).await
}

/// `run_on`, stopped by `stop` while it waits for the named lock.
async fn run_on_until(
    conn: &mut MySqlConnection,
    plan: &MigratePlan,
    stop: &CancellationToken,
) -> Result<MigrateReport, MigrateError> {
    let schema: Option<String> =
        sqlx::query_scalar(include_str!("../../sql/migrate_current_schema.sql"))
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| MigrateError::from_sqlx("reading the current database", "?", e))?;
    let schema = schema.ok_or(MigrateError::NoSchema)?;
    if let Some(both) = plan.tables.iter().find(|t| plan.uncapture.contains(t)) {
        return Err(MigrateError::Conflict(both.clone()));
    }
    check_table_names(plan.tables.iter().chain(&plan.uncapture))?;
    if plan.dry_run {
        return migrate_locked(conn, &schema, plan).await;
    }
    let lock = lock_name(&schema);
    // A signal drops the wait; the connection, still waiting on the server, is dropped
    // with the process (the server then gives the lock wait up).
    let got: Option<i64> = tokio::select! {
        got = sqlx::query_scalar(include_str!("../../sql/migrate_lock.sql"))
            .bind(&lock)
            .bind(LOCK_WAIT_SECS as i64)
            .fetch_one(&mut *conn) => {
            got.map_err(|e| MigrateError::from_sqlx("taking the migrate lock", &schema, e))?
        }
        _ = stop.cancelled() => return Err(MigrateError::Interrupted),
    };
    if got != Some(1) {
        return Err(MigrateError::Locked {
            schema,
            secs: LOCK_WAIT_SECS,
        });
    }
    let result = migrate_locked(conn, &schema, plan).await;
    let released = sqlx::query(include_str!("../../sql/migrate_unlock.sql"))
        .bind(&lock)
        .execute(&mut *conn)
        .await;
    if let Err(e) = released {
        tracing::warn!(event = "migrate.unlock", error = %e, "could not release the migrate lock; it goes with the connection");
    }
    result
}

/// The named lock of `schema`'s migrate: server-wide, so it names the schema, and at
/// most 64 characters (hashed when the schema name is long).
pub fn lock_name(schema: &str) -> String {
    let plain = format!("certyo_queue:migrate:{schema}");
    if plain.chars().count() <= 64 {
        return plain;
    }
    let hash = Sha256::digest(schema.as_bytes());
    let hex: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("certyo_queue:migrate:{hex}")
}

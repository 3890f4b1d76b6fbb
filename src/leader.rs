//! One leader per scheduled job across any number of processes, by a MySQL named lock.
//!
//! Every `work` process runs a [`Leader`] for each scheduled job (cleanup,
//! verification). Only the session holding the job's named lock runs the job.
//!
//! ## The lock
//! - Name: `certyo_queue.<job>.<schema>` — named locks are server-wide, so the schema
//!   is part of the name; a name over MySQL's 64-character limit uses a SHA-256 digest
//!   of the schema instead of the schema itself.
//! - Held by `GET_LOCK(name, 0)` on a *dedicated* connection opened with the pool's
//!   options but outside the pool: the lock lives exactly as long as that session, and
//!   no pooled query can ever run on it or release it by accident.
//!
//! ## States
//! - **Follower** (no connection, or a connection without the lock): every check
//!   interval (default 10 s) it tries `GET_LOCK(name, 0)`; it never waits on the lock.
//! - **Leader**: before each run, and at every check interval in between, it confirms
//!   `IS_USED_LOCK(name) = CONNECTION_ID()`. Only then may the job run.
//!
//! ## Failure handling
//! - Leader process dies (crash, SIGKILL, OOM): the kernel closes its socket, the server
//!   ends the session and frees the lock; a follower takes it at its next attempt, so
//!   within one check interval.
//! - Leader hangs or its network goes away: the lock session has
//!   `wait_timeout = max(60 s, 4 × check interval)`; the server ends it after that
//!   much silence and a follower takes over. A healthy leader checks far more often.
//! - The lock connection breaks or is killed (server restart, `KILL`): the next check
//!   fails or says "not ours"; the connection is dropped, the process becomes a
//!   follower and tries to re-acquire on a fresh connection at the next tick. Every
//!   statement on the lock connection has a timeout, so a silent network cannot stall
//!   the check.
//! - Clean shutdown: `RELEASE_LOCK`, so a follower takes over at its next attempt.
//!
//! Leadership is checked before a run, not during it: a run that loses its lock halfway
//! finishes. Both jobs are safe under such an overlap (cleanup deletes by condition,
//! verification writes are conditional on the row version it read), so the lock
//! prevents duplicate work rather than guarding correctness.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool};
use sqlx::{ConnectOptions, Connection};

use crate::error::DbError;

/// MySQL's limit on the length of a named lock.
pub const LOCK_NAME_MAX: usize = 64;
/// Longest a statement on the lock connection may take before the connection counts as lost.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The named lock for `job` in `schema`, at most 64 characters.
pub fn lock_name(schema: &str, job: &str) -> String {
    let plain = format!("certyo_queue.{job}.{schema}");
    if plain.chars().count() <= LOCK_NAME_MAX {
        return plain;
    }
    let digest = Sha256::digest(schema.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let prefix = format!("certyo_queue.{job}.");
    let room = LOCK_NAME_MAX.saturating_sub(prefix.len()).max(8);
    format!("{prefix}{}", &hex[..room.min(hex.len())])
}

/// The leader lock of one job, held on its own connection.
pub struct Leader {
    name: String,
    options: MySqlConnectOptions,
    wait_timeout_secs: u64,
    conn: Option<MySqlConnection>,
    held: bool,
}

impl Leader {
    /// A follower for `job` in `schema`; it connects with the pool's options.
    /// `check_interval` is how often the caller will call [`Leader::ensure`].
    pub fn new(pool: &MySqlPool, schema: &str, job: &str, check_interval: Duration) -> Self {
        Leader {
            name: lock_name(schema, job),
            options: (*pool.connect_options()).clone(),
            wait_timeout_secs: (check_interval.as_secs() * 4).max(60),
            conn: None,
            held: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the last [`Leader::ensure`] found the lock ours.
    pub fn is_leader(&self) -> bool {
        self.held
    }

    /// Hold the lock if possible: confirm it is still ours, or try to take it (on a
    /// fresh connection if the old one is gone). `Ok(true)` means this process leads now.
    /// On an error the connection is dropped and the state is follower.
    pub async fn ensure(&mut self) -> Result<bool, DbError> {
        match self.try_ensure().await {
            Ok(held) => {
                self.held = held;
                Ok(held)
            }
            Err(e) => {
                self.held = false;
                // Dropping the connection ends its session, and with it any lock it held.
                self.conn = None;
                Err(e)
            }
        }
    }

    async fn try_ensure(&mut self) -> Result<bool, DbError> {
        let name = self.name.clone();
        if self.held {
            let conn = self.connection().await?;
            let ours: Option<i64> = timed(
                "checking the leader lock",
                sqlx::query_scalar(include_str!("../sql/leader_check.sql"))
                    .bind(&name)
                    .fetch_one(&mut *conn),
            )
            .await?;
            if ours == Some(1) {
                return Ok(true);
            }
            tracing::warn!(event = "leader.lost", lock = %name, "leader.lost: the leader lock is no longer held by this process");
        }
        let conn = self.connection().await?;
        let got: Option<i64> = timed(
            "taking the leader lock",
            sqlx::query_scalar(include_str!("../sql/leader_acquire.sql"))
                .bind(&name)
                .fetch_one(&mut *conn),
        )
        .await?;
        Ok(got == Some(1))
    }

    async fn connection(&mut self) -> Result<&mut MySqlConnection, DbError> {
        if self.conn.is_none() {
            let mut conn = timed("opening the leader lock connection", async {
                self.options.connect().await
            })
            .await?;
            timed(
                "setting up the leader lock connection",
                sqlx::query(include_str!("../sql/leader_session.sql"))
                    .bind(self.wait_timeout_secs)
                    .execute(&mut conn),
            )
            .await?;
            self.conn = Some(conn);
        }
        match self.conn.as_mut() {
            Some(conn) => Ok(conn),
            None => Err(DbError::Query {
                context: "opening the leader lock connection",
                source: sqlx::Error::PoolClosed,
            }),
        }
    }

    /// Give the lock up and close the connection (clean shutdown). Errors are ignored:
    /// closing the session frees the lock anyway.
    pub async fn release(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if self.held {
                let _ = tokio::time::timeout(
                    STATEMENT_TIMEOUT,
                    sqlx::query(include_str!("../sql/leader_release.sql"))
                        .bind(&self.name)
                        .execute(&mut conn),
                )
                .await;
            }
            let _ = tokio::time::timeout(STATEMENT_TIMEOUT, conn.close()).await;
        }
        self.held = false;
    }
}

async fn timed<T>(
    context: &'static str,
    fut: impl std::future::Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, DbError> {
    match tokio::time::timeout(STATEMENT_TIMEOUT, fut).await {
        Ok(r) => r.map_err(DbError::query(context)),
        Err(_) => Err(DbError::Query {
            context,
            source: sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {STATEMENT_TIMEOUT:?}"),
            )),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_names_fit_and_differ_per_schema_and_job() {
        assert_eq!(lock_name("shop", "cleanup"), "certyo_queue.cleanup.shop");
        let long_a = "a".repeat(64);
        let long_b = format!("{}b", "a".repeat(63));
        let (a, b) = (lock_name(&long_a, "verify"), lock_name(&long_b, "verify"));
        assert!(
            a.len() <= LOCK_NAME_MAX && b.len() <= LOCK_NAME_MAX,
            "{a} {b}"
        );
        assert_ne!(a, b);
        assert_ne!(lock_name(&long_a, "cleanup"), a);
    }
}

//! The binlog reader: the leader job that captures the tables registered with source
//! `binlog` (`migrate --capture binlog`) from the server's binary log, one process at
//! a time like the poller.
//!
//! A run holds one replication connection (`mysql_async`, its own `server_id`) streaming
//! from the checkpoint (`certyo_capture_binlog`: file and position, and the GTID
//! position at that transaction boundary) and keeps it open across runs while this
//! process stays leader. Row events of registered tables are rendered
//! (`capture::binlog_render`) when their transaction's commit event arrives; committed
//! transactions are enqueued in batches, each batch one database transaction that locks
//! the checkpoint, checks it is where this stream started, inserts the queue rows in log
//! order and advances the checkpoint. So a crash at any instant neither loses nor
//! doubles a change, and a second reader (a leader that lost its lock) finds the
//! checkpoint moved and stops.
//!
//! - Rolled-back transactions are not in the binary log; events keep commit order.
//! - Updates that change no compared business column (our write-back) enqueue nothing.
//! - A table map whose columns differ from the table's current shape (events older
//!   than an ALTER) is checked against a fresh inspection; if it still differs, the
//!   reader stops with an error naming the table, never decoding with the wrong shape.
//! - Changes to `certyo_capture` (a `migrate` registering or removing a table) reload
//!   the registry at that point of the stream.
//! - A checkpoint whose file or GTIDs the server purged is an error that names `backfill`.
//! - Resuming ([`open`]): by GTID where the checkpoint has one and the server logs GTIDs
//!   (MySQL gtid_mode = ON: COM_BINLOG_DUMP_GTID; MariaDB: `@slave_connect_state`), else
//!   by file and position; the GTID position is tracked from the stream ([`session`]) and
//!   written with every checkpoint, so a checkpoint without one is upgraded by the next
//!   reader.
//!
//! `certyo_capture_lag_seconds{table, source="binlog"}`: 0 when the stream is idle
//! (caught up), else the seconds between now and the commit time of the last event read.
//!
//! Modules: [`open`] connects and picks the start, [`session`] follows the events,
//! [`flush`] is the enqueue transaction and the GTID upgrade, [`decode`] the event
//! helpers.

mod decode;
mod flush;
mod open;
mod session;
mod xa;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::capture::binlog::{Boundary, Position};
use crate::config::DbConfig;
use crate::error::ConfigError;

use session::Session;

use super::TaskError;

/// Settings of the binlog reader.
#[derive(Debug, Clone)]
pub struct BinlogConfig {
    /// The replication connection's server_id (None: derived from the schema name).
    pub server_id: Option<u32>,
    /// Changes per enqueue transaction at most (default 1000).
    pub batch: usize,
    /// How long a run streams before it hands back to the leader loop (default 5 s).
    pub run_for: Duration,
    /// Longest a committed change waits for its batch to fill (default 10 ms).
    pub max_delay: Duration,
}

impl Default for BinlogConfig {
    fn default() -> Self {
        BinlogConfig {
            server_id: None,
            batch: 1000,
            run_for: Duration::from_secs(5),
            max_delay: Duration::from_millis(10),
        }
    }
}

/// Why the reader stopped.
#[derive(Debug, thiserror::Error)]
pub enum BinlogError {
    #[error("binlog reader: the checkpoint {at} is no longer in the server's binary log (its file or GTIDs were purged, the server's logs were reset, or this server lacks transactions the checkpoint has passed; the server says: {server}); changes after it cannot be read. Re-snapshot: `certyo-queue migrate --uncapture T` for every binlog-captured table (that drops the checkpoint), then `certyo-queue migrate --table T --capture binlog` (the reader starts at the server's position then) and `certyo-queue backfill --table T`")]
    Purged { at: Boundary, server: String },
    #[error("binlog reader: at the checkpoint {at} the binary log holds transactions without GTID, which MySQL does not send once gtid_mode = ON (the server says: {server}). Switch gtid_mode to ON only after this reader has passed the last of them (`status` shows its checkpoint; the step ON_PERMISSIVE is the time to wait), or re-snapshot: `certyo-queue migrate --uncapture T` for every binlog-captured table, then `certyo-queue migrate --table T --capture binlog` and `certyo-queue backfill --table T`")]
    Anonymous { at: Boundary, server: String },
    #[error("binlog reader: another replica (host {host:?}) is registered with this server under server_id {id}, the id this reader uses; the server disconnects the older of two replicas with one server_id, so the two would keep cutting each other off. Give this reader an id no server or replica of the topology uses: `certyo-queue work --binlog-server-id N` (or CERTYO_BINLOG_SERVER_ID)")]
    ServerIdInUse { id: u32, host: String },
    #[error("binlog reader: the checkpoint's GTID position cannot be used ({why}); set binlog_gtid to NULL in certyo_capture_binlog to resume from its file and position")]
    Gtid { why: String },
    #[error("binlog reader: table `{table}` in the binary log at {at} has columns that differ from the table now ({why}); an ALTER TABLE happened while the reader was behind it. Stopped without enqueueing these events. Re-snapshot: `certyo-queue migrate --uncapture T` for every binlog-captured table (that drops the checkpoint), then `certyo-queue migrate --table T --capture binlog` (the reader starts at the server's position then) and `certyo-queue backfill --table T`")]
    Shape {
        table: String,
        at: Position,
        why: String,
    },
    #[error("binlog reader: table `{table}` at {at}: {source}")]
    Render {
        table: String,
        at: Position,
        #[source]
        source: crate::capture::binlog_render::RenderError,
    },
    #[error("binlog reader: another reader moved the checkpoint (now {now}, this stream started at {ours}); this stream stops")]
    Fenced { now: Boundary, ours: Boundary },
    #[error("binlog reader: the replication connection ({doing}): {source}")]
    Stream {
        doing: &'static str,
        #[source]
        source: mysql_async::Error,
    },
}

/// Why the server refused to send the log (one error code, 1236, for all of it): MySQL's
/// message names anonymous transactions when gtid_mode = ON forbids sending them;
/// anything else means the checkpoint's file or GTIDs are gone.
fn dump_refused(at: Boundary, message: &str) -> BinlogError {
    if message
        .to_ascii_lowercase()
        .contains("anonymous transaction")
    {
        BinlogError::Anonymous {
            at,
            server: message.to_string(),
        }
    } else {
        BinlogError::Purged {
            at,
            server: message.to_string(),
        }
    }
}

/// A stream no run used for `run_for` plus this long is closed.
const IDLE_CLOSE: Duration = Duration::from_secs(5);

/// How often a reader with no binlog-captured table looks at the registry again.
const IDLE_RECHECK: Duration = Duration::from_secs(2);

/// MySQL and MariaDB: "Could not find first log file name in binary log index file" and
/// other fatal dump errors.
const ER_MASTER_FATAL_ERROR_READING_BINLOG: u16 = 1236;

/// The reader job.
#[derive(Clone)]
pub struct BinlogReader {
    pool: MySqlPool,
    schema: String,
    db: DbConfig,
    cfg: BinlogConfig,
    session: Arc<tokio::sync::Mutex<Option<Session>>>,
    /// When the last run ended; the idle watchdog closes a stream no run has used for
    /// a while (this process is no longer leader: the replication connection must go,
    /// MariaDB refuses a second one with the same server_id).
    last_run: Arc<std::sync::Mutex<Instant>>,
    watchdog: Arc<std::sync::atomic::AtomicBool>,
}

impl BinlogReader {
    pub fn new(pool: MySqlPool, db: DbConfig, cfg: BinlogConfig) -> Result<Self, ConfigError> {
        if cfg.batch == 0 || cfg.batch > 10_000 {
            return Err(ConfigError::Invalid {
                name: "binlog batch",
                reason: format!("{} is outside 1..=10000", cfg.batch),
            });
        }
        let schema = db
            .schema()
            .ok_or(ConfigError::Missing("the database name in --database-url"))?;
        Ok(BinlogReader {
            pool,
            schema,
            db,
            cfg,
            session: Arc::default(),
            last_run: Arc::new(std::sync::Mutex::new(Instant::now())),
            watchdog: Arc::default(),
        })
    }

    /// Close the stream once no run has used it for `run_for` + [`IDLE_CLOSE`].
    fn start_watchdog(&self) {
        if self
            .watchdog
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let session = Arc::downgrade(&self.session);
        let last_run = self.last_run.clone();
        let limit = self.cfg.run_for + IDLE_CLOSE;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let Some(strong) = session.upgrade() else {
                    return;
                };
                let idle = last_run.lock().map(|t| t.elapsed()).unwrap_or_default();
                if idle < limit {
                    continue;
                }
                let taken = match strong.try_lock() {
                    Ok(mut slot) => slot.take(),
                    Err(_) => None,
                };
                drop(strong);
                if let Some(s) = taken {
                    tracing::info!(idle_s = idle.as_secs(), "binlog.idle_close: no run for a while (not leader any more?): replication connection closed");
                    let _ = s.stream.close().await;
                }
            }
        });
    }

    /// The host this reader reports when it registers as a replica (`SHOW REPLICAS`):
    /// readers of this database know each other by it.
    pub fn replica_host(&self) -> String {
        format!("certyo-queue/{}", self.schema)
    }

    /// The server_id this reader registers with: as configured, else a stable number
    /// from the schema name in 2^31..2^32 (far from the small ids servers are given).
    pub fn server_id(&self) -> u32 {
        self.cfg.server_id.unwrap_or_else(|| {
            use sha2::Digest;
            let d = sha2::Sha256::digest(self.schema.as_bytes());
            let h = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
            0x8000_0000 | (h & 0x7fff_ffff)
        })
    }

    /// Stream for up to `run_for` (or until `stop`), enqueueing what commits. Returns the
    /// changes enqueued. With no binlog-captured table it returns after a short wait;
    /// after an error it waits up to `run_for` before returning it (the leader loop
    /// calls again at once).
    pub async fn run_once(&self, stop: &CancellationToken) -> Result<u64, TaskError> {
        self.start_watchdog();
        let mut guard = self.session.lock().await;
        let result = self.run_locked(&mut guard, stop).await;
        if result.is_err() {
            if let Some(s) = guard.take() {
                let _ = s.stream.close().await;
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.cfg.run_for) => {}
            }
        }
        if let Ok(mut t) = self.last_run.lock() {
            *t = Instant::now();
        }
        result
    }

    async fn run_locked(
        &self,
        slot: &mut Option<Session>,
        stop: &CancellationToken,
    ) -> Result<u64, TaskError> {
        if slot.is_none() {
            match self.open().await? {
                Some(s) => *slot = Some(s),
                None => {
                    // Nothing captured from the binary log: look again in a while (the
                    // leader loop calls again at once).
                    tokio::select! {
                        _ = stop.cancelled() => {}
                        _ = tokio::time::sleep(self.cfg.run_for.min(IDLE_RECHECK)) => {}
                    }
                    return Ok(0);
                }
            }
        }
        let Some(s) = slot.as_mut() else {
            return Ok(0);
        };
        let deadline = Instant::now() + self.cfg.run_for;
        let mut enqueued = 0u64;
        while !stop.is_cancelled() && Instant::now() < deadline {
            let wait = if s.done.is_empty() {
                deadline
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(500))
            } else {
                Duration::from_millis(10)
            };
            let next = tokio::select! {
                _ = stop.cancelled() => break,
                r = tokio::time::timeout(wait, s.stream.next()) => r,
            };
            match next {
                Err(_) => {
                    if s.upgrade.is_some() && !s.in_txn && s.txn.is_empty() {
                        self.try_upgrade(s).await?;
                    }
                    // Idle: everything read is committed; write it, lag is 0.
                    enqueued += self.flush(s, true).await?;
                    if s.txn.is_empty() {
                        self.set_lag(s, 0.0);
                    }
                }
                Ok(None) => {
                    return Err(BinlogError::Stream {
                        doing: "the server ended the stream",
                        source: mysql_async::Error::Driver(
                            mysql_async::DriverError::ConnectionClosed,
                        ),
                    }
                    .into())
                }
                Ok(Some(Err(e))) => return Err(self.stream_error(s, e).into()),
                Ok(Some(Ok(event))) => {
                    self.handle(s, &event).await?;
                    if !s.done.is_empty() && s.done_since.is_none() {
                        s.done_since = Some(Instant::now());
                    }
                    let due = s
                        .done_since
                        .is_some_and(|t| t.elapsed() >= self.cfg.max_delay);
                    if s.done.len() >= self.cfg.batch || due {
                        enqueued += self.flush(s, false).await?;
                        let lag = (chrono::Utc::now().timestamp() - i64::from(s.last_event_ts))
                            .max(0) as f64;
                        self.set_lag(s, lag);
                    }
                }
            }
        }
        enqueued += self.flush(s, true).await?;
        Ok(enqueued)
    }

    fn stream_error(&self, s: &Session, e: mysql_async::Error) -> BinlogError {
        if let mysql_async::Error::Server(se) = &e {
            if se.code == ER_MASTER_FATAL_ERROR_READING_BINLOG {
                return dump_refused(s.start.clone(), &se.message);
            }
        }
        BinlogError::Stream {
            doing: "reading events",
            source: e,
        }
    }

    fn set_lag(&self, s: &Session, lag: f64) {
        for t in &s.registered {
            metrics::gauge!(crate::telemetry::CAPTURE_LAG, "table" => t.clone(), "source" => "binlog")
                .set(lag);
        }
    }
}

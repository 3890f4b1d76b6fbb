//! The binlog reader: the leader job that captures the tables registered with source
//! `binlog` (`migrate --capture binlog`) from the server's binary log, one process at
//! a time like the poller.
//!
//! A run holds one replication connection (`mysql_async`, its own `server_id`) streaming
//! from the checkpoint (`certyo_capture_binlog`: file and position, a transaction
//! boundary) and keeps it open across runs while this process stays leader. Row events
//! of registered tables are rendered (`capture::binlog_render`) when their
//! transaction's commit event arrives; committed transactions are enqueued in batches,
//! each batch one database transaction that locks the checkpoint, checks it is where
//! this stream started, inserts the queue rows in log order and advances the
//! checkpoint. So a crash at any instant neither loses nor doubles a change, and a
//! second reader (a leader that lost its lock) finds the checkpoint moved and stops.
//!
//! - Rolled-back transactions are not in the binary log; events keep commit order.
//! - Updates that change no compared business column (our write-back) enqueue nothing.
//! - A table map whose columns differ from the table's current shape (events older
//!   than an ALTER) is checked against a fresh inspection; if it still differs, the
//!   reader stops with an error naming the table, never decoding with the wrong shape.
//! - Changes to `certyo_capture` (a `migrate` registering or removing a table) reload
//!   the registry at that point of the stream.
//! - A checkpoint whose file the server purged is an error that names `backfill`.
//!
//! `certyo_capture_lag_seconds{table, source="binlog"}`: 0 when the stream is idle
//! (caught up), else the seconds between now and the commit time of the last event read.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use mysql_async::binlog::events::{EventData, OptionalMetaExtractor, TableMapEvent};
use mysql_async::consts::ColumnType;
use mysql_async::{BinlogStream, BinlogStreamRequest};
use sqlx::mysql::MySqlPool;
use sqlx::Connection;
use tokio_util::sync::CancellationToken;

use crate::capture::binlog::{self as capture_binlog, Position};
use crate::capture::binlog_render::{BinlogTable, Change};
use crate::capture::{registry, CaptureError};
use crate::config::DbConfig;
use crate::error::{ConfigError, DbError};

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
    #[error("binlog reader: the checkpoint {0} is no longer in the server's binary log (purged, or the server's logs were reset); changes after it cannot be read. Re-snapshot: `certyo-queue migrate --uncapture T` for every binlog-captured table (that drops the checkpoint), then `certyo-queue migrate --table T --capture binlog` (the reader starts at the server's position then) and `certyo-queue backfill --table T`")]
    Purged(Position),
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
    Fenced { now: Position, ours: Position },
    #[error("binlog reader: the replication connection ({doing}): {source}")]
    Stream {
        doing: &'static str,
        #[source]
        source: mysql_async::Error,
    },
}

/// A stream no run used for `run_for` plus this long is closed.
const IDLE_CLOSE: Duration = Duration::from_secs(5);

/// How often a reader with no binlog-captured table looks at the registry again.
const IDLE_RECHECK: Duration = Duration::from_secs(2);

/// MySQL and MariaDB: "Could not find first log file name in binary log index file" and
/// other fatal dump errors.
const ER_MASTER_FATAL_ERROR_READING_BINLOG: u16 = 1236;

/// One registered table as the stream decodes it.
struct Entry {
    name: String,
    table: BinlogTable,
    /// This table's `VALUES` row of `sql/binlog_enqueue.sql`.
    row: String,
}

/// A change and the table it goes to.
struct Pending {
    table: Arc<Entry>,
    change: Change,
}

/// One open replication stream and what it has read but not enqueued yet.
struct Session {
    stream: BinlogStream,
    /// The checkpoint this stream's next batch starts from.
    start: Position,
    /// The current file of the stream.
    file: String,
    /// Per table_id: the registered table it maps (None: not ours).
    maps: HashMap<u64, Option<Arc<Entry>>>,
    /// Registered binlog tables, by name, loaded on demand.
    tables: HashMap<String, Arc<Entry>>,
    registered: HashSet<String>,
    /// Changes of the open transaction.
    txn: Vec<Pending>,
    /// Changes of committed transactions, not enqueued yet.
    done: Vec<Pending>,
    /// The end of the last committed transaction read, and its commit time.
    end: Option<(Position, u32)>,
    last_event_ts: u32,
    /// Passed boundaries without changes since the last write (written at most each second).
    idle_since_write: Instant,
    /// When the oldest committed change not enqueued yet was read.
    done_since: Option<Instant>,
}

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
                return BinlogError::Purged(s.start.clone());
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

    /// Open a stream at the checkpoint (None: no checkpoint, nothing is binlog-captured).
    async fn open(&self) -> Result<Option<Session>, TaskError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let registered = registered(&mut conn).await?;
        if registered.is_empty() {
            return Ok(None);
        }
        let Some(cp) = capture_binlog::checkpoint(&mut conn).await? else {
            tracing::warn!("binlog.no_checkpoint: tables are registered for binlog capture but certyo_capture_binlog has no checkpoint; run `certyo-queue migrate --table T --capture binlog`");
            return Ok(None);
        };
        capture_binlog::check_server(&mut conn).await?;
        drop(conn);
        let opts = replication_opts(&self.db)?;
        let repl = mysql_async::Conn::new(opts)
            .await
            .map_err(|source| BinlogError::Stream {
                doing: "connecting",
                source,
            })?;
        let file = cp.at.file.clone();
        let request = BinlogStreamRequest::new(self.server_id())
            .with_filename(file.as_bytes())
            .with_pos(cp.at.pos);
        let stream = repl
            .get_binlog_stream(request)
            .await
            .map_err(|e| match &e {
                mysql_async::Error::Server(se)
                    if se.code == ER_MASTER_FATAL_ERROR_READING_BINLOG =>
                {
                    BinlogError::Purged(cp.at.clone())
                }
                _ => BinlogError::Stream {
                    doing: "requesting the binary log",
                    source: e,
                },
            })?;
        tracing::info!(at = %cp.at, server_id = self.server_id(), tables = registered.len(), "binlog.start: streaming from the checkpoint");
        Ok(Some(Session {
            stream,
            start: cp.at.clone(),
            file,
            maps: HashMap::new(),
            tables: HashMap::new(),
            registered,
            txn: Vec::new(),
            done: Vec::new(),
            end: None,
            last_event_ts: 0,
            idle_since_write: Instant::now(),
            done_since: None,
        }))
    }

    async fn handle(
        &self,
        s: &mut Session,
        event: &mysql_async::binlog::events::Event,
    ) -> Result<(), TaskError> {
        let header = event.header();
        let ts = header.timestamp();
        if ts > 0 {
            s.last_event_ts = ts;
        }
        let end = u64::from(header.log_pos());
        let data = event.read_data().map_err(|e| BinlogError::Stream {
            doing: "decoding an event",
            source: mysql_async::Error::Io(mysql_async::IoError::Io(e)),
        })?;
        match data {
            Some(EventData::RotateEvent(r)) => {
                let raw = r.name();
                // The stream's first (fake) rotate names the file requested; on MariaDB
                // its name is followed by checksum bytes (it precedes the format event).
                if !raw.starts_with(s.file.as_str()) {
                    s.file = file_name(&raw);
                }
                if s.txn.is_empty() && s.end.is_none() && s.done.is_empty() {
                    // Nothing open: the checkpoint may move to the new file.
                    s.end = Some((
                        Position {
                            file: s.file.clone(),
                            pos: r.position(),
                        },
                        s.last_event_ts,
                    ));
                }
            }
            Some(EventData::TableMapEvent(tme)) => {
                let id = tme.table_id();
                let entry = if tme.database_name() == self.schema.as_str() {
                    let name = tme.table_name().into_owned();
                    if s.registered.contains(&name) {
                        Some(self.entry_for(s, &name, &tme, end).await?)
                    } else {
                        None
                    }
                } else {
                    None
                };
                s.maps.insert(id, entry);
            }
            Some(EventData::RowsEvent(rows)) => {
                let id = rows.table_id();
                if let Some(Some(entry)) = s.maps.get(&id).cloned() {
                    let Some(tme) = s.stream.get_tme(id) else {
                        return Ok(());
                    };
                    let at = Position {
                        file: s.file.clone(),
                        pos: end,
                    };
                    for row in rows.rows(tme) {
                        let (before, after) = row.map_err(|e| BinlogError::Stream {
                            doing: "decoding a row event",
                            source: mysql_async::Error::Io(mysql_async::IoError::Io(e)),
                        })?;
                        let before = before.map(|r| image(&r));
                        let after = after.map(|r| image(&r));
                        let changes = entry
                            .table
                            .changes(before.as_deref(), after.as_deref())
                            .map_err(|source| BinlogError::Render {
                                table: entry.name.clone(),
                                at: at.clone(),
                                source,
                            })?;
                        for change in changes {
                            s.txn.push(Pending {
                                table: entry.clone(),
                                change,
                            });
                        }
                    }
                } else if self.is_registry_event(s, id) {
                    self.reload_registry(s).await?;
                }
            }
            Some(EventData::XidEvent(_)) => self.commit(s, end),
            Some(EventData::QueryEvent(q)) => match query_kind(&q.query()) {
                QueryKind::Begin => s.txn.clear(),
                QueryKind::Commit => self.commit(s, end),
                QueryKind::Rollback => {
                    s.txn.clear();
                    self.commit(s, end);
                }
                QueryKind::Ddl => {
                    // Its own transaction: shapes are read again at the next table map;
                    // the registry too (migrate may have changed tables).
                    s.tables.clear();
                    s.maps.clear();
                    self.commit(s, end);
                }
                QueryKind::Other => {
                    if s.txn.is_empty() {
                        self.commit(s, end);
                    }
                }
            },
            _ => {}
        }
        Ok(())
    }

    fn is_registry_event(&self, s: &Session, id: u64) -> bool {
        s.stream.get_tme(id).is_some_and(|t| {
            t.database_name() == self.schema.as_str() && t.table_name() == "certyo_capture"
        })
    }

    async fn reload_registry(&self, s: &mut Session) -> Result<(), TaskError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        s.registered = registered(&mut conn).await?;
        s.tables.retain(|k, _| s.registered.contains(k));
        s.maps.clear();
        Ok(())
    }

    fn commit(&self, s: &mut Session, end: u64) {
        s.done.append(&mut s.txn);
        s.end = Some((
            Position {
                file: s.file.clone(),
                pos: end,
            },
            s.last_event_ts,
        ));
    }

    /// The registered table a table map names, checked against the map's columns.
    async fn entry_for(
        &self,
        s: &mut Session,
        name: &str,
        tme: &TableMapEvent<'_>,
        end: u64,
    ) -> Result<Arc<Entry>, TaskError> {
        let types = map_types(tme);
        let names = map_names(tme);
        if let Some(e) = s.tables.get(name) {
            if e.table.matches(&types, names.as_deref()) {
                return Ok(e.clone());
            }
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let (_, table) = capture_binlog::load_table(&mut conn, &self.schema, name).await?;
        if !table.matches(&types, names.as_deref()) {
            return Err(BinlogError::Shape {
                table: name.to_string(),
                at: Position {
                    file: s.file.clone(),
                    pos: end,
                },
                why: format!(
                    "{} columns in the log{}",
                    types.len(),
                    names
                        .map(|n| format!(" ({})", n.join(", ")))
                        .unwrap_or_default()
                ),
            }
            .into());
        }
        let (row, _) = capture_binlog::enqueue_row(&table.decimal_columns());
        let entry = Arc::new(Entry {
            name: name.to_string(),
            table,
            row,
        });
        s.tables.insert(name.to_string(), entry.clone());
        Ok(entry)
    }

    /// Enqueue every committed change read and advance the checkpoint, in one
    /// transaction. With nothing to enqueue, the checkpoint still moves (at most once a
    /// second unless `force`), so lag and `status` follow the stream.
    async fn flush(&self, s: &mut Session, force: bool) -> Result<u64, TaskError> {
        let Some((end, ts)) = s.end.clone() else {
            return Ok(0);
        };
        if s.done.is_empty() && !force && s.idle_since_write.elapsed() < Duration::from_secs(1) {
            return Ok(0);
        }
        if s.done.is_empty() && end == s.start {
            s.end = None;
            return Ok(0);
        }
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(DbError::query("connecting for the binlog reader"))?;
        let mut tx = conn
            .begin()
            .await
            .map_err(CaptureError::db("starting a binlog enqueue transaction"))?;
        let now = capture_binlog::lock_checkpoint(&mut tx).await?;
        if now.as_ref() != Some(&s.start) {
            let _ = tx.rollback().await;
            return Err(BinlogError::Fenced {
                now: now.unwrap_or(Position {
                    file: String::new(),
                    pos: 0,
                }),
                ours: s.start.clone(),
            }
            .into());
        }
        let changes: Vec<capture_binlog::Enqueue<'_>> = s
            .done
            .iter()
            .map(|p| capture_binlog::Enqueue {
                table: &p.table.name,
                row: &p.table.row,
                change: &p.change,
            })
            .collect();
        capture_binlog::enqueue(&mut tx, &changes).await?;
        let n = s.done.len() as u64;
        capture_binlog::advance_checkpoint(&mut tx, &end, n, ts).await?;
        tx.commit()
            .await
            .map_err(CaptureError::db("committing a binlog enqueue transaction"))?;
        s.done.clear();
        s.done_since = None;
        s.start = end;
        s.end = None;
        s.idle_since_write = Instant::now();
        if n > 0 {
            tracing::debug!(enqueued = n, at = %s.start, "binlog.enqueued");
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    /// `BEGIN` (MySQL), `START TRANSACTION` (MariaDB's GTID event as old replicas see it).
    Begin,
    Commit,
    Rollback,
    /// A statement that may change a table's shape.
    Ddl,
    Other,
}

fn query_kind(q: &str) -> QueryKind {
    let mut words = q.split_whitespace().map(|w| w.to_ascii_uppercase());
    match words.next().as_deref() {
        Some("BEGIN") => QueryKind::Begin,
        Some("START") => QueryKind::Begin,
        Some("COMMIT") => QueryKind::Commit,
        Some("ROLLBACK") => QueryKind::Rollback,
        Some("ALTER" | "CREATE" | "DROP" | "RENAME" | "TRUNCATE" | "OPTIMIZE" | "REPAIR") => {
            QueryKind::Ddl
        }
        _ => QueryKind::Other,
    }
}

/// A binary log file name as the server lists it: `base.NNNNNN`. MariaDB's fake rotate
/// event (the first of a stream) carries its checksum after the name; the digits after
/// the last dot end the name.
fn file_name(raw: &str) -> String {
    let end = raw
        .find(|c: char| !c.is_ascii_graphic())
        .unwrap_or(raw.len());
    let raw = &raw[..end];
    match raw.rfind('.') {
        Some(dot) => {
            let digits: String = raw[dot + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            format!("{}.{digits}", &raw[..dot])
        }
        None => raw.to_string(),
    }
}

fn image(
    row: &mysql_async::binlog::row::BinlogRow,
) -> Vec<Option<mysql_async::binlog::value::BinlogValue<'static>>> {
    (0..row.len())
        .map(|i| row.as_ref(i).map(|v| v.clone().into_owned()))
        .collect()
}

fn map_types(tme: &TableMapEvent<'_>) -> Vec<(ColumnType, Vec<u8>)> {
    (0..tme.columns_count() as usize)
        .map(|i| {
            let t = tme
                .get_column_type(i)
                .ok()
                .flatten()
                .unwrap_or(ColumnType::MYSQL_TYPE_NULL);
            let meta = tme.get_column_metadata(i).unwrap_or(&[]).to_vec();
            (t, meta)
        })
        .collect()
}

/// Column names, when the server logs them (binlog_row_metadata = FULL).
fn map_names(tme: &TableMapEvent<'_>) -> Option<Vec<String>> {
    let ex = OptionalMetaExtractor::new(tme.iter_optional_meta()).ok()?;
    let names: Vec<String> = ex
        .iter_column_name()
        .filter_map(|n| n.ok().map(|n| n.name().into_owned()))
        .collect();
    (names.len() == tme.columns_count() as usize).then_some(names)
}

async fn registered(
    conn: &mut sqlx::mysql::MySqlConnection,
) -> Result<HashSet<String>, CaptureError> {
    Ok(registry::list_or_empty(conn)
        .await?
        .into_iter()
        .filter(|r| r.source == Some(registry::Source::Binlog))
        .map(|r| r.table)
        .collect())
}

/// `%41` → `A` (user names and passwords in the URL are percent-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The replication connection's options from `--database-url`: host, port, user and
/// password; TLS when `ssl-mode` is required/verify_ca/verify_identity (with `ssl-ca`).
fn replication_opts(db: &DbConfig) -> Result<mysql_async::Opts, ConfigError> {
    let url = db.url();
    let mut b = mysql_async::OptsBuilder::default()
        .ip_or_hostname(url.host_str().unwrap_or("localhost").to_string())
        .tcp_port(url.port().unwrap_or(3306))
        .user(Some(percent_decode(url.username())))
        .pass(url.password().map(percent_decode))
        .prefer_socket(false);
    let param = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let mode = param("ssl-mode").or_else(|| param("sslmode"));
    if let Some(mode) = mode.as_deref() {
        if matches!(mode, "required" | "verify_ca" | "verify_identity") {
            let mut ssl = mysql_async::SslOpts::default();
            if let Some(ca) = url
                .query_pairs()
                .find(|(k, _)| k == "ssl-ca")
                .map(|(_, v)| v.into_owned())
            {
                ssl = ssl.with_root_certs(vec![std::path::PathBuf::from(ca).into()]);
            }
            ssl = match mode {
                "required" => ssl.with_danger_accept_invalid_certs(true),
                "verify_ca" => ssl.with_danger_skip_domain_validation(true),
                _ => ssl,
            };
            b = b.ssl_opts(ssl);
        }
    }
    Ok(b.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_events_and_file_names() {
        assert_eq!(query_kind("START TRANSACTION"), QueryKind::Begin);
        assert_eq!(query_kind("BEGIN"), QueryKind::Begin);
        assert_eq!(query_kind("COMMIT"), QueryKind::Commit);
        assert_eq!(query_kind("alter table t add column c int"), QueryKind::Ddl);
        assert_eq!(query_kind("SAVEPOINT a"), QueryKind::Other);
        assert_eq!(file_name("binlog.000001\u{fffd}x.1"), "binlog.000001");
        assert_eq!(file_name("mysql-bin.000042"), "mysql-bin.000042");
    }
}

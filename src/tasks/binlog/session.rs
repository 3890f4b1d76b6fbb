//! One open replication stream of the binlog reader and how it follows the events:
//! table maps checked against the registered tables' shapes, row images rendered into
//! changes, changes held per transaction until its commit event, transaction
//! boundaries (file, position and GTID position) recorded for the next flush.
//!
//! GTIDs: each transaction's GTID (MySQL's GTID event, MariaDB's GTID event, type 162)
//! joins the stream's GTID position at its commit, so the position always describes the
//! last boundary read. A MySQL anonymous transaction (logged while gtid_mode was not ON)
//! stops the following for this stream: its checkpoints carry no GTID (NULL), and the
//! next stream resumes from file and position. While upgrading a checkpoint without
//! GTIDs on MySQL (`upgrade`), the GTIDs read since the checkpoint are collected until
//! the reader is caught up with the server ([`BinlogReader::try_upgrade`]). XA
//! transactions: `xa`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use mysql_async::binlog::events::{EventData, TableMapEvent};
use mysql_async::BinlogStream;

use super::decode::{self, file_name, image, map_names, map_types, query_kind, QueryKind};
use super::{BinlogError, BinlogReader};
use crate::capture::binlog::gtid::{mariadb_gtid_event, Gtid, Gtids, MARIADB_GTID_EVENT};
use crate::capture::binlog::{self as capture_binlog, Boundary, Position};
use crate::capture::binlog_render::{BinlogTable, Change};
use crate::error::DbError;
use crate::tasks::TaskError;

/// One registered table as the stream decodes it.
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) table: BinlogTable,
    /// This table's `VALUES` row of `sql/binlog_enqueue.sql`.
    pub(super) row: String,
}

/// A change and the table it goes to.
pub(super) struct Pending {
    pub(super) table: Arc<Entry>,
    pub(super) change: Change,
}

/// One open replication stream and what it has read but not enqueued yet.
pub(super) struct Session {
    pub(super) stream: BinlogStream,
    /// The checkpoint this stream's next batch starts from.
    pub(super) start: Boundary,
    /// The current file of the stream.
    pub(super) file: String,
    /// Per table_id: the registered table it maps (None: not ours).
    pub(super) maps: HashMap<u64, Option<Arc<Entry>>>,
    /// Registered binlog tables, by name, loaded on demand.
    pub(super) tables: HashMap<String, Arc<Entry>>,
    pub(super) registered: HashSet<String>,
    /// Changes of the open transaction.
    pub(super) txn: Vec<Pending>,
    /// Changes of committed transactions, not enqueued yet.
    pub(super) done: Vec<Pending>,
    /// The end of the last committed transaction read, and its commit time.
    pub(super) end: Option<(Position, u32)>,
    pub(super) last_event_ts: u32,
    /// Passed boundaries without changes since the last write (written at most each second).
    pub(super) idle_since_write: Instant,
    /// When the oldest committed change not enqueued yet was read.
    pub(super) done_since: Option<Instant>,
    /// The GTID position at `end` (None: not followed on this stream).
    pub(super) gtids: Option<Gtids>,
    /// The GTID of the open transaction.
    pub(super) txn_gtid: Option<Gtid>,
    /// Inside BEGIN … COMMIT (or a MariaDB GTID event group that is not standalone).
    pub(super) in_txn: bool,
    /// MySQL upgrade of a checkpoint without GTIDs: the GTIDs read since it.
    pub(super) upgrade: Option<Gtids>,
    /// XA transactions prepared and not yet committed or rolled back, oldest first.
    pub(super) prepared: Vec<super::xa::Prepared>,
}

impl Session {
    /// The boundary the next flush writes (file and position of `end`, GTID position).
    pub(super) fn end_boundary(&self) -> Option<(Boundary, u32)> {
        let (at, ts) = self.end.clone()?;
        let gtid = self.gtids.as_ref().map(|g| g.to_string());
        if let Some(held) = self.prepared.first() {
            // A MySQL GTID set lacks the prepared transactions (they join it when
            // resolved), so it may run ahead; a MariaDB position cannot have holes.
            let gtid = match self.gtids {
                Some(Gtids::MySql(_)) => gtid,
                _ => held.hold.gtid.clone(),
            };
            return Some((
                Boundary {
                    at: held.hold.at.clone(),
                    gtid,
                },
                ts,
            ));
        }
        Some((Boundary { at, gtid }, ts))
    }
}

fn decode_error(doing: &'static str, e: std::io::Error) -> BinlogError {
    BinlogError::Stream {
        doing,
        source: mysql_async::Error::Io(mysql_async::IoError::Io(e)),
    }
}

impl BinlogReader {
    pub(super) async fn handle(
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
        // Artificial events (the stream's first rotate, heartbeats) have no position.
        let artificial = end == 0;
        let data = event
            .read_data()
            .map_err(|e| decode_error("decoding an event", e))?;
        match data {
            Some(EventData::RotateEvent(r)) => {
                let raw = r.name();
                // The stream's first (fake) rotate names the file requested; on MariaDB
                // its name is followed by checksum bytes (it precedes the format event).
                if !raw.starts_with(s.file.as_str()) {
                    s.file = file_name(&raw);
                }
                if !artificial
                    && !s.in_txn
                    && s.txn.is_empty()
                    && s.end.is_none()
                    && s.done.is_empty()
                {
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
            Some(EventData::GtidEvent(g)) => {
                s.txn_gtid = Some(Gtid::MySql {
                    uuid: g.sid(),
                    tag: g.tag().map(|t| t.to_string()),
                    gno: g.gno(),
                });
            }
            Some(EventData::AnonymousGtidEvent(_)) => {
                s.upgrade = None;
                if s.gtids.take().is_some() {
                    tracing::warn!(at = %Position { file: s.file.clone(), pos: end }, "binlog.gtid_anonymous: a transaction without GTID (logged while gtid_mode was not ON); this stream's checkpoints carry file and position only");
                }
                s.txn_gtid = None;
            }
            None if header.event_type_raw() == MARIADB_GTID_EVENT => {
                let (gtid, standalone) = mariadb_gtid_event(event.data(), header.server_id())
                    .ok_or_else(|| {
                        decode_error(
                            "decoding a GTID event",
                            std::io::Error::new(std::io::ErrorKind::InvalidData, "too short"),
                        )
                    })?;
                s.txn_gtid = Some(gtid);
                if !standalone {
                    s.txn.clear();
                    s.in_txn = true;
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
                        let (before, after) =
                            row.map_err(|e| decode_error("decoding a row event", e))?;
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
            Some(EventData::XaPrepareLogEvent(body)) => {
                let (one_phase, xid) = decode::xa_prepare(&body).ok_or_else(|| {
                    decode_error(
                        "decoding an XA PREPARE event",
                        std::io::Error::new(std::io::ErrorKind::InvalidData, "too short"),
                    )
                })?;
                if one_phase || s.txn.is_empty() {
                    // Committed here (XA COMMIT … ONE PHASE), or nothing of ours in it.
                    self.commit(s, end);
                } else {
                    s.hold_prepared(xid);
                }
            }
            Some(EventData::QueryEvent(q)) => match query_kind(&q.query()) {
                QueryKind::Begin => {
                    s.txn.clear();
                    s.in_txn = true;
                }
                QueryKind::Commit => self.commit(s, end),
                QueryKind::XaCommit(xid) => {
                    if let Some(p) = s.resolve(&xid) {
                        s.txn = p;
                    }
                    self.commit(s, end);
                }
                QueryKind::XaRollback(xid) => {
                    s.resolve(&xid);
                    s.txn.clear();
                    self.commit(s, end);
                }
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
                    if !s.in_txn {
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
        s.registered = decode::registered(&mut conn).await?;
        s.tables.retain(|k, _| s.registered.contains(k));
        s.maps.clear();
        Ok(())
    }

    /// A transaction boundary: the open transaction's changes and GTID are committed.
    fn commit(&self, s: &mut Session, end: u64) {
        if let Some(g) = s.txn_gtid.take() {
            if let Some(set) = s.gtids.as_mut() {
                set.add(&g);
            }
            if let Some(set) = s.upgrade.as_mut() {
                set.add(&g);
            }
        }
        s.in_txn = false;
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
}

//! XA transactions in the stream: held from `XA PREPARE` to their end.
//!
//! A transaction's changes are logged at its `XA PREPARE` and it is committed (or
//! rolled back) by a later event group, `XA COMMIT xid` / `XA ROLLBACK xid`. Its changes
//! are held in memory (`prepared`) until then, and are committed at the `XA COMMIT`'s
//! place in the stream (nothing can change its rows in between: it holds their locks).
//! While one is held, the checkpoint written stays before its PREPARE, so a reader that
//! stops meanwhile reads it again. On MySQL with GTIDs the checkpoint's GTID set lacks
//! only the prepared transaction's GTID, so the server sends it again and nothing else;
//! on MariaDB and by file and position, the transactions after the PREPARE are read
//! again too (queued twice if they were enqueued before the stop).

use super::session::{Pending, Session};
use crate::capture::binlog::gtid::Gtid;
use crate::capture::binlog::Boundary;

/// An XA transaction read up to its `XA PREPARE`.
pub(super) struct Prepared {
    /// As `decode::xa_prepare` spells it.
    xid: String,
    changes: Vec<Pending>,
    gtid: Option<Gtid>,
    /// The boundary before it: the checkpoint may not pass it until it is resolved.
    pub(super) hold: Boundary,
}

impl Session {
    /// The open transaction ends with `XA PREPARE xid`: hold its changes and GTID.
    pub(super) fn hold_prepared(&mut self, xid: String) {
        let prepared = Prepared {
            xid,
            changes: std::mem::take(&mut self.txn),
            gtid: self.txn_gtid.take(),
            hold: self.last_boundary(),
        };
        tracing::debug!(xid = %prepared.xid, changes = prepared.changes.len(), "binlog.xa_prepared: held until its XA COMMIT");
        self.prepared.push(prepared);
        self.in_txn = false;
    }

    /// The end of a held XA transaction: its GTID joins the position, its changes are
    /// returned (None: not held, i.e. prepared before this stream's start with nothing
    /// of ours, or before the table was registered).
    pub(super) fn resolve(&mut self, xid: &str) -> Option<Vec<Pending>> {
        let Some(i) = self.prepared.iter().position(|p| p.xid == xid) else {
            tracing::debug!(
                xid,
                "binlog.xa_unknown: XA COMMIT/ROLLBACK of a transaction not held"
            );
            return None;
        };
        let p = self.prepared.remove(i);
        if let Some(g) = &p.gtid {
            if let Some(set) = self.gtids.as_mut() {
                set.add(g);
            }
            if let Some(set) = self.upgrade.as_mut() {
                set.add(g);
            }
        }
        Some(p.changes)
    }

    /// The boundary of the last transaction read (the checkpoint if none since).
    fn last_boundary(&self) -> Boundary {
        Boundary {
            at: self
                .end
                .as_ref()
                .map_or_else(|| self.start.at.clone(), |e| e.0.clone()),
            gtid: self.gtids.as_ref().map(|g| g.to_string()),
        }
    }
}

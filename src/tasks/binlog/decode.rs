//! Decoding helpers of the binlog reader: what a query event means for transaction
//! boundaries, binary log file names as the server lists them, row images and table-map
//! column types and names as the renderer takes them, and the registered tables.

use std::collections::HashSet;

use mysql_async::binlog::events::{OptionalMetaExtractor, TableMapEvent};
use mysql_async::consts::ColumnType;

use crate::capture::{registry, CaptureError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum QueryKind {
    /// `BEGIN` (MySQL), `START TRANSACTION` (MariaDB's GTID event as old replicas see it),
    /// `XA START` (MySQL; MariaDB puts it in the GTID event).
    Begin,
    Commit,
    Rollback,
    /// `XA COMMIT xid` of a transaction prepared earlier (its own event group).
    XaCommit(String),
    /// `XA ROLLBACK xid` of a transaction prepared earlier.
    XaRollback(String),
    /// A statement that may change a table's shape.
    Ddl,
    Other,
}

pub(super) fn query_kind(q: &str) -> QueryKind {
    let q = q.trim_start();
    let mut words = q.split_whitespace().map(|w| w.to_ascii_uppercase());
    match words.next().as_deref() {
        Some("BEGIN") => QueryKind::Begin,
        Some("START") => QueryKind::Begin,
        Some("COMMIT") => QueryKind::Commit,
        Some("ROLLBACK") => QueryKind::Rollback,
        Some("XA") => {
            let verb = words.next();
            // The xid as the server logs it: X'gtrid',X'bqual',formatID.
            let xid = || {
                let mut parts = q.splitn(3, char::is_whitespace);
                parts.nth(2).map(xid_key).unwrap_or_default()
            };
            match verb.as_deref() {
                Some("START" | "BEGIN") => QueryKind::Begin,
                Some("COMMIT") => QueryKind::XaCommit(xid()),
                Some("ROLLBACK") => QueryKind::XaRollback(xid()),
                _ => QueryKind::Other,
            }
        }
        Some("ALTER" | "CREATE" | "DROP" | "RENAME" | "TRUNCATE" | "OPTIMIZE" | "REPAIR") => {
            QueryKind::Ddl
        }
        _ => QueryKind::Other,
    }
}

/// An xid in one spelling (`X'6131',X'',1`, upper case, no spaces), to match an
/// `XA COMMIT` with its `XA PREPARE`.
fn xid_key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// An XA_PREPARE_LOG_EVENT's body (MySQL and MariaDB alike): one_phase (1 byte),
/// formatID, gtrid length, bqual length (4 bytes each, little-endian), gtrid, bqual.
/// (one phase, the xid as `xid_key` spells it); None if too short.
pub(super) fn xa_prepare(body: &[u8]) -> Option<(bool, String)> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(body.get(at..at + 4)?.try_into().ok()?))
    };
    let one_phase = *body.first()? != 0;
    let format = word(1)? as i32;
    let gtrid_len = word(5)? as usize;
    let bqual_len = word(9)? as usize;
    let gtrid = body.get(13..13 + gtrid_len)?;
    let bqual = body.get(13 + gtrid_len..13 + gtrid_len + bqual_len)?;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    Some((
        one_phase,
        xid_key(&format!("X'{}',X'{}',{format}", hex(gtrid), hex(bqual))),
    ))
}

/// A binary log file name as the server lists it: `base.NNNNNN`. MariaDB's fake rotate
/// event (the first of a stream) carries its checksum after the name; the digits after
/// the last dot end the name.
pub(super) fn file_name(raw: &str) -> String {
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

pub(super) fn image(
    row: &mysql_async::binlog::row::BinlogRow,
) -> Vec<Option<mysql_async::binlog::value::BinlogValue<'static>>> {
    (0..row.len())
        .map(|i| row.as_ref(i).map(|v| v.clone().into_owned()))
        .collect()
}

pub(super) fn map_types(tme: &TableMapEvent<'_>) -> Vec<(ColumnType, Vec<u8>)> {
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
pub(super) fn map_names(tme: &TableMapEvent<'_>) -> Option<Vec<String>> {
    let ex = OptionalMetaExtractor::new(tme.iter_optional_meta()).ok()?;
    let names: Vec<String> = ex
        .iter_column_name()
        .filter_map(|n| n.ok().map(|n| n.name().into_owned()))
        .collect();
    (names.len() == tme.columns_count() as usize).then_some(names)
}

pub(super) async fn registered(
    conn: &mut sqlx::mysql::MySqlConnection,
) -> Result<HashSet<String>, CaptureError> {
    Ok(registry::list_or_empty(conn)
        .await?
        .into_iter()
        .filter(|r| r.source == Some(registry::Source::Binlog))
        .map(|r| r.table)
        .collect())
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
        assert_eq!(query_kind("XA START X'6131',X'',1"), QueryKind::Begin);
        assert_eq!(query_kind("XA END X'6131',X'',1"), QueryKind::Other);
        assert_eq!(
            query_kind("XA COMMIT X'6131',X'',1"),
            QueryKind::XaCommit("X'6131',X'',1".into())
        );
        assert_eq!(
            query_kind("XA ROLLBACK X'7a',X'01', 2"),
            QueryKind::XaRollback("X'7A',X'01',2".into())
        );
        // XA PREPARE of 'a1' (two-phase), as both servers log it.
        let body = [0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, b'a', b'1'];
        assert_eq!(xa_prepare(&body), Some((false, "X'6131',X'',1".into())));
        assert_eq!(xa_prepare(&body[..14]), None);
        assert_eq!(file_name("binlog.000001\u{fffd}x.1"), "binlog.000001");
        assert_eq!(file_name("mysql-bin.000042"), "mysql-bin.000042");
    }
}

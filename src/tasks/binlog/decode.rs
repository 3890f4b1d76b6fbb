//! Decoding helpers of the binlog reader: what a query event means for transaction
//! boundaries, binary log file names as the server lists them, row images and table-map
//! column types and names as the renderer takes them, and the registered tables.

use std::collections::HashSet;

use mysql_async::binlog::events::{OptionalMetaExtractor, TableMapEvent};
use mysql_async::consts::ColumnType;

use crate::capture::{registry, CaptureError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QueryKind {
    /// `BEGIN` (MySQL), `START TRANSACTION` (MariaDB's GTID event as old replicas see it).
    Begin,
    Commit,
    Rollback,
    /// A statement that may change a table's shape.
    Ddl,
    Other,
}

pub(super) fn query_kind(q: &str) -> QueryKind {
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
        assert_eq!(file_name("binlog.000001\u{fffd}x.1"), "binlog.000001");
        assert_eq!(file_name("mysql-bin.000042"), "mysql-bin.000042");
    }
}

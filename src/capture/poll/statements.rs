//! The poller's statements for one table shape and poll column ([`PollSql`]), filled
//! once from `sql/poll_*.sql` with checked, backtick-quoted identifiers and the capture
//! triggers' own expressions; the page cursor ([`Cursor`]) and its condition with its
//! binds; the table lock of a capture switch.

use chrono::NaiveDateTime;
use sqlx::mysql::MySqlArguments;
use sqlx::query::Query;
use sqlx::MySql;

use super::super::introspect::TableShape;
use super::super::template::{fill, fragment, quote_ident, statement};
use super::super::{render, triggers};
use super::{CaptureError, FRAGMENTS};

/// Where a page ended: the last row's stamp and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub stamp: NaiveDateTime,
    pub key: Vec<String>,
}

/// The poller's statements for one table shape and poll column.
#[derive(Debug, Clone)]
pub struct PollSql {
    pub table: String,
    /// poll_read_window.sql with `{after}` open.
    pub(super) read: String,
    /// poll_enqueue.sql with `{keys}` and `{digests}` open.
    pub(super) enqueue: String,
    pub(super) seed: String,
    /// Per key column: its qualified, quoted name and bind marker.
    pub(super) key_cols: Vec<String>,
    pub(super) key_params: Vec<&'static str>,
    /// Per key column: bound as text (text and hex-kept binary keys), else as integer
    /// when it parses as one (exact beyond 2^53).
    pub(super) key_text: Vec<bool>,
    pub(super) column: String,
    /// TIMESTAMP (an instant, comparable with the database clock) rather than DATETIME.
    pub instant: bool,
}

impl PollSql {
    pub fn new(shape: &TableShape, poll_column: &str) -> Result<PollSql, CaptureError> {
        let table = quote_ident(&shape.name);
        let col = shape
            .column(poll_column)
            .ok_or_else(|| CaptureError::PollColumnMissing {
                table: shape.name.clone(),
                column: poll_column.to_string(),
            })?;
        let qualified = |name: &str| {
            fill(
                fragment(&FRAGMENTS, "qualified"),
                &[("table", &table), ("col", &quote_ident(name))],
            )
        };
        let column = qualified(poll_column);
        let key = shape.key_columns();
        let key_cols: Vec<String> = key.iter().map(|c| qualified(&c.name)).collect();
        let hex: Vec<bool> = key.iter().map(|c| render::key_is_hex(c)).collect();
        let key_text: Vec<bool> = key
            .iter()
            .map(|c| c.text || render::key_is_hex(c))
            .collect();
        let key_select = key_cols
            .iter()
            .zip(&hex)
            .enumerate()
            .map(|(i, (c, &h))| {
                fill(
                    fragment(&FRAGMENTS, if h { "key_hex" } else { "key_text" }),
                    &[("col", c), ("i", &i.to_string())],
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let record_id = triggers::record_id(shape, &table)?;
        let payload = triggers::payload(shape, &table)?;
        let mut compared = shape.clone();
        compared
            .columns
            .retain(|c| !(c.on_update || c.generated || c.name == poll_column));
        let digest = triggers::payload(&compared, &table)?;
        let values = [
            ("key_text", key_select.as_str()),
            ("column", column.as_str()),
            ("record_id", record_id.as_str()),
            ("payload", payload.as_str()),
            ("digest", digest.as_str()),
            ("table", table.as_str()),
            ("table_name", shape.name.as_str()),
            ("order", &key_cols.join(", ")),
            ("after", "{after}"),
            ("keys", "{keys}"),
            ("digests", "{digests}"),
        ];
        Ok(PollSql {
            table: shape.name.clone(),
            read: fill(
                statement(include_str!("../../../sql/poll_read_window.sql")),
                &values,
            ),
            seed: fill(
                statement(include_str!("../../../sql/poll_seed_seen.sql")),
                &values,
            ),
            enqueue: fill(
                statement(include_str!("../../../sql/poll_enqueue.sql")),
                &values,
            ),
            key_params: hex
                .iter()
                .map(|&h| fragment(&FRAGMENTS, if h { "param_hex" } else { "param" }))
                .collect(),
            key_cols,
            key_text,
            column,
            instant: col.data_type == "timestamp",
        })
    }

    /// `(column, key) > cursor` as a union of ranges, with its binds in order.
    pub(super) fn after(&self, cursor: Option<&Cursor>) -> (String, Vec<Bind>) {
        let Some(cursor) = cursor else {
            return (fragment(&FRAGMENTS, "everything").to_string(), Vec::new());
        };
        let mut cols: Vec<(&str, &str, Option<usize>)> = vec![(&self.column, "?", None)];
        for (i, (c, p)) in self.key_cols.iter().zip(&self.key_params).enumerate() {
            cols.push((c, p, Some(i)));
        }
        let bind = |pos: Option<usize>| match pos {
            None => Bind::Stamp(cursor.stamp),
            Some(i) => Bind::Key(
                cursor.key.get(i).cloned().unwrap_or_default(),
                self.key_text.get(i).copied().unwrap_or(true),
            ),
        };
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for i in 0..cols.len() {
            let mut terms = Vec::new();
            for &(col, param, pos) in cols.iter().take(i) {
                terms.push(fill(
                    fragment(&FRAGMENTS, "eq"),
                    &[("col", col), ("param", param)],
                ));
                binds.push(bind(pos));
            }
            let (col, param, pos) = cols[i];
            terms.push(fill(
                fragment(&FRAGMENTS, "gt"),
                &[("col", col), ("param", param)],
            ));
            binds.push(bind(pos));
            alternatives.push(fill(
                fragment(&FRAGMENTS, "all_of"),
                &[("terms", &terms.join(" AND "))],
            ));
        }
        let any = fill(
            fragment(&FRAGMENTS, "any_of"),
            &[("alternatives", &alternatives.join(" OR "))],
        );
        (any, binds)
    }
}

pub(super) enum Bind {
    Stamp(NaiveDateTime),
    /// A key value, and whether it is bound as text.
    Key(String, bool),
}

pub(super) fn bind_all<'q>(
    mut q: Query<'q, MySql, MySqlArguments>,
    binds: Vec<Bind>,
) -> Query<'q, MySql, MySqlArguments> {
    for b in binds {
        q = match b {
            Bind::Stamp(s) => q.bind(s),
            Bind::Key(v, true) => q.bind(v),
            Bind::Key(v, false) => {
                if let Ok(i) = v.parse::<i64>() {
                    q.bind(i)
                } else if let Ok(u) = v.parse::<u64>() {
                    q.bind(u)
                } else {
                    q.bind(v)
                }
            }
        };
    }
    q
}

/// The SQL of a polled table's lock while its capture source switches.
pub fn lock_statement(table: &str) -> String {
    fill(
        statement(include_str!("../../../sql/poll_lock_tables.sql")),
        &[("table", &quote_ident(table))],
    )
}

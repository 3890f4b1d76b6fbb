//! The statements `audit` runs on one table, assembled once from `sql/audit_*.sql`, the
//! keyset pieces of `sql/backfill_fragments.sql` and the capture triggers' own
//! `record_id` and payload expressions (`capture::triggers`), so the row is rendered
//! now exactly as capture rendered it when it was queued.
//!
//! Invariants:
//! - Only names from `information_schema`, checked by `capture::check_name` and quoted,
//!   and fragments of `sql/` files go into the text; every value is a bind parameter.
//! - Key values travel as text; binary keys as lowercase hex (found with `UNHEX`),
//!   integer keys bound as integers (exact beyond 2^53).

use std::collections::HashMap;

use sqlx::mysql::MySqlArguments;
use sqlx::query::Query;
use sqlx::MySql;

use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};
use crate::capture::{render, triggers, CaptureError, TableShape};

/// A predicate over the key and its parameters, as (key column index, value).
#[derive(Debug, Clone)]
pub struct Predicate {
    pub text: String,
    pub binds: Vec<(usize, String)>,
}

/// One table's audit statements; `{after}`, `{upto}` and `{keys}` are filled per chunk.
#[derive(Debug)]
pub struct TableSql {
    /// Per key column: `src.`col``.
    cols: Vec<String>,
    /// Per key column: its bind marker (`?` or `UNHEX(?)`).
    params: Vec<&'static str>,
    /// Per key column: bound as text (text or hex-kept binary columns).
    text_key: Vec<bool>,
    keyset: HashMap<&'static str, &'static str>,
    audit: HashMap<&'static str, &'static str>,
    pub chunk_end: String,
    pub last_key: String,
    pub counts: String,
    pub altered: String,
    pub delivered: String,
    pub mark: String,
    pub present: String,
    key_join: String,
}

impl TableSql {
    pub fn new(shape: &TableShape) -> Result<TableSql, CaptureError> {
        let keyset = fragments(include_str!("../../../sql/backfill_fragments.sql"));
        let audit = fragments(include_str!("../../../sql/audit_fragments.sql"));
        let key = shape.key_columns();
        let hex: Vec<bool> = key.iter().map(|c| render::key_is_hex(c)).collect();
        let text_key: Vec<bool> = key
            .iter()
            .map(|c| c.text || render::key_is_hex(c))
            .collect();
        let cols: Vec<String> = shape
            .pk
            .iter()
            .map(|c| format!("src.{}", quote_ident(c)))
            .collect();
        let key_text = cols
            .iter()
            .zip(&hex)
            .map(|(c, &h)| {
                let name = if h { "key_hex" } else { "key_text" };
                fill(fragment(&keyset, name), &[("col", c)])
            })
            .collect::<Vec<_>>()
            .join(", ");
        let each = |name: &str| {
            cols.iter()
                .map(|c| fill(fragment(&keyset, name), &[("col", c)]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let params = hex
            .iter()
            .map(|&h| fragment(&keyset, if h { "param_hex" } else { "param" }))
            .collect();
        let keep: String = shape
            .business_columns()
            .filter(|c| c.on_update)
            .map(|c| fill(fragment(&audit, "keep"), &[("col", &quote_ident(&c.name))]))
            .collect();
        let key_join = shape
            .pk
            .iter()
            .zip(&hex)
            .enumerate()
            .map(|(i, (c, &h))| {
                let name = if h {
                    "present_join_hex"
                } else {
                    "present_join"
                };
                fill(
                    fragment(&audit, name),
                    &[("col", &quote_ident(c)), ("n", &i.to_string())],
                )
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        let payload = triggers::payload(shape, "src")?;
        let record_id = triggers::record_id(shape, "src")?;
        let table = quote_ident(&shape.name);
        let with = |file: &str| {
            fill(
                statement(file),
                &[
                    ("key_text", &key_text),
                    ("table", &table),
                    ("order", &each("asc")),
                    ("order_desc", &each("desc")),
                    ("payload", &payload),
                    ("record_id", &record_id),
                    ("keep", &keep),
                    ("key_join", &key_join),
                    // left for each chunk to fill:
                    ("after", "{after}"),
                    ("upto", "{upto}"),
                    ("keys", "{keys}"),
                    ("values", "{values}"),
                ],
            )
        };
        Ok(TableSql {
            chunk_end: with(include_str!("../../../sql/audit_chunk_end.sql")),
            last_key: with(include_str!("../../../sql/audit_last_key.sql")),
            counts: with(include_str!("../../../sql/audit_chunk_counts.sql")),
            altered: with(include_str!("../../../sql/audit_chunk_altered.sql")),
            delivered: with(include_str!("../../../sql/audit_chunk_delivered.sql")),
            mark: with(include_str!("../../../sql/audit_mark.sql")),
            present: with(include_str!("../../../sql/audit_rows_present.sql")),
            key_join,
            cols,
            params,
            text_key,
            keyset,
            audit,
        })
    }

    pub fn key_len(&self) -> usize {
        self.cols.len()
    }

    /// `key > last` over the full key (TRUE for the first chunk).
    pub fn after(&self, last: Option<&[String]>) -> Predicate {
        match last {
            None => Predicate {
                text: fragment(&self.keyset, "everything").to_string(),
                binds: Vec::new(),
            },
            Some(last) => self.compare(last, "gt", "gt"),
        }
    }

    /// `key <= end` over the full key.
    pub fn upto(&self, end: &[String]) -> Predicate {
        self.compare(end, "lt", "le")
    }

    /// `key = values` for each row, joined by OR (for `--mark`).
    pub fn rows(&self, keys: &[Vec<String>]) -> Predicate {
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for key in keys {
            let terms: Vec<String> = self
                .cols
                .iter()
                .zip(&self.params)
                .map(|(col, param)| {
                    fill(
                        fragment(&self.keyset, "eq"),
                        &[("col", col), ("param", param)],
                    )
                })
                .collect();
            binds.extend(key.iter().cloned().enumerate());
            alternatives.push(fill(
                fragment(&self.audit, "row_keys"),
                &[("terms", &terms.join(" AND "))],
            ));
        }
        Predicate {
            text: alternatives.join(" OR "),
            binds,
        }
    }

    /// The derived table of `n` records for audit_rows_present.sql.
    pub fn present_values(&self, n: usize) -> String {
        let keys = |name| -> String {
            (0..self.cols.len())
                .map(|i| fill(fragment(&self.audit, name), &[("n", &i.to_string())]))
                .collect()
        };
        let mut values = fill(
            fragment(&self.audit, "present_first"),
            &[("keys", &keys("present_first_key"))],
        );
        let row = fill(
            fragment(&self.audit, "present_row"),
            &[("keys", &keys("present_key"))],
        );
        for _ in 1..n {
            values.push(' ');
            values.push_str(&row);
        }
        values
    }

    /// Lexicographic comparison of the key with `values`: for each column i, the earlier
    /// columns equal and column i compared with `op` (`last_op` for the last).
    fn compare(&self, values: &[String], op: &str, last_op: &str) -> Predicate {
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for i in 0..self.cols.len() {
            let mut terms = Vec::new();
            for (j, (col, value)) in self.cols.iter().zip(values).take(i).enumerate() {
                terms.push(fill(
                    fragment(&self.keyset, "eq"),
                    &[("col", col), ("param", self.params[j])],
                ));
                binds.push((j, value.clone()));
            }
            let this_op = if i + 1 == self.cols.len() {
                last_op
            } else {
                op
            };
            terms.push(fill(
                fragment(&self.keyset, this_op),
                &[("col", &self.cols[i]), ("param", self.params[i])],
            ));
            binds.push((i, values.get(i).cloned().unwrap_or_default()));
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        Predicate {
            text: format!("({})", alternatives.join(" OR ")),
            binds,
        }
    }

    /// Bind key values as their column's kind: integers for integer-looking values of
    /// non-text columns, text otherwise (the server converts text to DATETIME, DECIMAL…).
    pub fn bind<'q>(
        &self,
        mut q: Query<'q, MySql, MySqlArguments>,
        binds: &[(usize, String)],
    ) -> Query<'q, MySql, MySqlArguments> {
        for (col, value) in binds {
            let text = self.text_key.get(*col).copied().unwrap_or(true);
            q = if text {
                q.bind(value.clone())
            } else if let Ok(i) = value.parse::<i64>() {
                q.bind(i)
            } else if let Ok(u) = value.parse::<u64>() {
                q.bind(u)
            } else {
                q.bind(value.clone())
            };
        }
        q
    }

    /// The key join of audit_rows_present.sql (for tests of the assembled text).
    pub fn key_join(&self) -> &str {
        &self.key_join
    }
}

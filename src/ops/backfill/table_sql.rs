//! The statements of one table's backfill, assembled once from `sql/backfill_*.sql`
//! and the capture triggers' own `record_id` and payload expressions, with the keyset
//! predicates (`{after}`, `{upto}`) filled per chunk.

use crate::capture::introspect::Engine;
use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};
use crate::capture::{render, triggers, CaptureError, TableShape};

/// A predicate and its parameters, as (key column index, value).
pub(super) struct Predicate {
    pub text: String,
    pub binds: Vec<(usize, String)>,
}

/// The table's backfill statements, with `{after}` / `{upto}` left to fill per chunk.
pub(super) struct TableSql {
    cols: Vec<String>,
    /// Per key column: its bind marker (`?` or `UNHEX(?)` for a hex-kept binary key).
    params: Vec<&'static str>,
    pub chunk_end: String,
    pub last_key: String,
    /// `{lock}` left to fill: `skip_locked` (a chunk, or a key already held).
    pub enqueue: String,
    /// `{lock}` left to fill: `skip_locked`, `wait` or nothing.
    pub keys: String,
    /// The engine's shared lock clause that skips rows others hold.
    pub skip_locked: &'static str,
    /// The engine's shared lock clause that waits for them.
    pub wait: &'static str,
}

impl TableSql {
    pub fn new(shape: &TableShape, engine: Engine) -> Result<Self, CaptureError> {
        let frags = fragments(include_str!("../../../sql/backfill_fragments.sql"));
        let key = shape.key_columns();
        let hex: Vec<bool> = key.iter().map(|c| render::key_is_hex(c)).collect();
        let cols: Vec<String> = shape
            .pk
            .iter()
            .map(|c| format!("src.{}", quote_ident(c)))
            .collect();
        let each = |name: &str, sep: &str| {
            cols.iter()
                .map(|c| fill(fragment(&frags, name), &[("col", c)]))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let key_text = cols
            .iter()
            .zip(&hex)
            .map(|(c, &h)| {
                let name = if h { "key_hex" } else { "key_text" };
                fill(fragment(&frags, name), &[("col", c)])
            })
            .collect::<Vec<_>>()
            .join(", ");
        let params = hex
            .iter()
            .map(|&h| fragment(&frags, if h { "param_hex" } else { "param" }))
            .collect();
        let order = each("asc", ", ");
        let order_desc = each("desc", ", ");
        let table = quote_ident(&shape.name);
        let common = |file: &str| {
            fill(
                statement(file),
                &[
                    ("key_text", &key_text),
                    ("table", &table),
                    ("order", &order),
                    ("order_desc", &order_desc),
                    // left for the chunk to fill:
                    ("after", "{after}"),
                    ("upto", "{upto}"),
                    ("lock", "{lock}"),
                ],
            )
        };
        let enqueue = fill(
            &common(include_str!("../../../sql/backfill_enqueue.sql")),
            &[
                ("table_name", &shape.name),
                ("record_id", &triggers::record_id(shape, "src")?),
                ("payload", &triggers::payload(shape, "src")?),
            ],
        );
        let (skip_locked, wait) = match engine {
            Engine::MySql => ("share_skip_mysql", "share_wait_mysql"),
            Engine::MariaDb => ("share_skip_mariadb", "share_wait_mariadb"),
        };
        Ok(TableSql {
            chunk_end: common(include_str!("../../../sql/backfill_chunk_end.sql")),
            last_key: common(include_str!("../../../sql/backfill_last_key.sql")),
            keys: common(include_str!("../../../sql/backfill_chunk_keys.sql")),
            skip_locked: fragment(&frags, skip_locked),
            wait: fragment(&frags, wait),
            enqueue,
            cols,
            params,
        })
    }

    /// `key > last` over the full key (TRUE for the first chunk).
    pub fn after(&self, last: Option<&[String]>) -> Predicate {
        match last {
            None => self.everything(),
            Some(last) => self.compare(last, "gt", "gt"),
        }
    }

    /// No bound (TRUE).
    pub fn everything(&self) -> Predicate {
        Predicate {
            text: fragment(&self.frags(), "everything").to_string(),
            binds: Vec::new(),
        }
    }

    /// `key = values`: one row.
    pub fn equal(&self, values: &[String]) -> Predicate {
        let frags = self.frags();
        let terms: Vec<String> = self
            .cols
            .iter()
            .zip(&self.params)
            .map(|(col, param)| fill(fragment(&frags, "eq"), &[("col", col), ("param", param)]))
            .collect();
        Predicate {
            text: format!("({})", terms.join(" AND ")),
            binds: values.iter().cloned().enumerate().collect(),
        }
    }

    /// `key <= end` over the full key.
    pub fn upto(&self, end: &[String]) -> Predicate {
        self.compare(end, "lt", "le")
    }

    /// Lexicographic comparison of the key with `values`: for each column i, the
    /// earlier columns equal and column i compared with `op` (`last_op` for the last).
    fn compare(&self, values: &[String], op: &str, last_op: &str) -> Predicate {
        let frags = self.frags();
        let mut alternatives = Vec::new();
        let mut binds = Vec::new();
        for i in 0..self.cols.len() {
            let mut terms = Vec::new();
            for (j, (col, value)) in self.cols.iter().zip(values).take(i).enumerate() {
                terms.push(fill(
                    fragment(&frags, "eq"),
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
                fragment(&frags, this_op),
                &[("col", &self.cols[i]), ("param", self.params[i])],
            ));
            binds.push((i, values[i].clone()));
            alternatives.push(format!("({})", terms.join(" AND ")));
        }
        Predicate {
            text: format!("({})", alternatives.join(" OR ")),
            binds,
        }
    }

    fn frags(&self) -> std::collections::HashMap<&'static str, &'static str> {
        fragments(include_str!("../../../sql/backfill_fragments.sql"))
    }
}

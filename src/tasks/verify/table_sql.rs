//! The statements of one verified table (select due rows, mark Anchored, later or
//! Failed), filled from `sql/captured_*.sql` and the fragments of
//! `sql/captured_verify_fragments.sql` with checked, backtick-quoted identifiers.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::VerifyTable;
use crate::sql::{fill, fragment, fragments, quote_ident, statement};

/// The statements of one table, with identifiers filled in (all checked against
/// information_schema, backtick-quoted).
pub(super) struct TableSql {
    pub(super) pk_len: usize,
    pub(super) select: String,
    pub(super) anchored: String,
    pub(super) later: String,
    pub(super) failed: String,
}

impl TableSql {
    pub(super) fn new(table: &VerifyTable, keep: Vec<String>) -> Self {
        let t = quote_ident(&table.name);
        let by_key = |plain: &str, hex: &str| -> Vec<String> {
            table
                .pk_columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let name = if table.hex_key.get(i).copied().unwrap_or(false) {
                        hex
                    } else {
                        plain
                    };
                    fill(
                        fragment(&FRAGMENTS, name),
                        &[("col", &quote_ident(c)), ("i", &i.to_string())],
                    )
                })
                .collect()
        };
        let pk_values = by_key("pk_value", "pk_value_hex").join(", ");
        let pk_match = by_key("pk_match", "pk_match_hex").join(" AND ");
        let record_id = table
            .record_id_sql
            .clone()
            .unwrap_or_else(|| record_id_expr(&table.pk_columns));
        let keep: String = keep
            .iter()
            .map(|c| fill(fragment(&FRAGMENTS, "keep"), &[("col", &quote_ident(c))]))
            .collect();
        let with = |file: &str| {
            fill(
                statement(file),
                &[
                    ("table", &t),
                    ("pk_values", &pk_values),
                    ("record_id", &record_id),
                    ("pk_match", &pk_match),
                    ("keep", &keep),
                ],
            )
        };
        TableSql {
            pk_len: table.pk_columns.len(),
            select: with(include_str!("../../../sql/captured_select_verify_due.sql")),
            anchored: with(include_str!("../../../sql/captured_mark_anchored.sql")),
            later: with(include_str!("../../../sql/captured_mark_verify_later.sql")),
            failed: with(include_str!("../../../sql/captured_mark_failed.sql")),
        }
    }
}

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../../sql/captured_verify_fragments.sql")));

/// The SQL expression of a row's record id, as the capture triggers write it
/// (`crate::capture::triggers`): the key as text for a one-column key, a JSON array of
/// the key values in key order for a composite key.
fn record_id_expr(pk_columns: &[String]) -> String {
    match pk_columns {
        [one] => fill(
            fragment(&FRAGMENTS, "record_id_one"),
            &[("col", &quote_ident(one))],
        ),
        many => fill(
            fragment(&FRAGMENTS, "record_id_many"),
            &[(
                "cols",
                &many
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", "),
            )],
        ),
    }
}

//! Which tables the write-back can mark, and how: a table's key and its three
//! statements (lock, presence, update) with the batch's `{values}` still open, cached
//! per (schema, table) and forgotten when a statement fails on a changed table.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use sqlx::mysql::MySqlConnection;

use super::WriteBackError;
use crate::capture;
use crate::capture::template::{fill, fragment, fragments, quote_ident, statement};

/// What the write-back needs of a table: its key and its statements, with the
/// `{values}` placeholder still open.
#[derive(Debug)]
pub(super) struct TableMeta {
    pub pk: Vec<String>,
    /// The table has `certyo_payload_sha256` (migrated since it was added).
    pub digest: bool,
    pub update_sql: String,
    pub lock_sql: String,
    pub present_sql: String,
}

impl TableMeta {
    /// The derived table of `n` rows for `{values}`.
    fn values_for(&self, n: usize) -> String {
        let keys = |name| -> String {
            (0..self.pk.len())
                .map(|i| fill(fragment(&FRAGMENTS, name), &[("n", &i.to_string())]))
                .collect()
        };
        let mut values = fill(
            fragment(&FRAGMENTS, "first_row"),
            &[("keys", &keys("first_key"))],
        );
        let row = fill(fragment(&FRAGMENTS, "row"), &[("keys", &keys("key"))]);
        for _ in 1..n {
            values.push(' ');
            values.push_str(&row);
        }
        values
    }

    pub fn statement_for(&self, template: &str, n: usize) -> String {
        fill(template, &[("values", &self.values_for(n))])
    }
}

type MetaCache = Mutex<HashMap<(String, String), Arc<TableMeta>>>;
static CACHE: LazyLock<MetaCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

pub(super) static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/captured_writeback_fragments.sql")));

pub(super) async fn table_meta(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<Option<Arc<TableMeta>>, WriteBackError> {
    let key = (schema.to_string(), table.to_string());
    if let Ok(cache) = CACHE.lock() {
        if let Some(meta) = cache.get(&key) {
            return Ok(Some(meta.clone()));
        }
    }
    let meta = if capture::check_name(table).is_err() {
        None
    } else {
        capture::inspect(conn, schema, table)
            .await?
            .filter(|shape| !shape.pk.is_empty() && shape.has_column("certyo_anchor_status"))
            .map(|shape| {
                let key_join: Vec<String> = shape
                    .key_columns()
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| {
                        // Binary keys are hex in record_id (capture::render).
                        let join = if capture::render::key_is_hex(c) {
                            "key_join_hex"
                        } else {
                            "key_join"
                        };
                        fill(
                            fragment(&FRAGMENTS, join),
                            &[("col", &quote_ident(&c.name)), ("n", &i.to_string())],
                        )
                    })
                    .collect();
                let keep: String = shape
                    .business_columns()
                    .filter(|c| c.on_update)
                    .map(|c| {
                        fill(
                            fragment(&FRAGMENTS, "keep"),
                            &[("col", &quote_ident(&c.name))],
                        )
                    })
                    .collect();
                let table = quote_ident(&shape.name);
                let key_join = key_join.join(" AND ");
                let digest = shape.has_column("certyo_payload_sha256");
                let digest_set = if digest {
                    fragment(&FRAGMENTS, "digest_set")
                } else {
                    ""
                };
                let with = |file: &str| {
                    fill(
                        statement(file),
                        &[
                            ("table", &table),
                            ("key_join", &key_join),
                            ("keep", &keep),
                            ("digest", digest_set),
                        ],
                    )
                };
                Arc::new(TableMeta {
                    update_sql: with(include_str!("../../sql/captured_mark_pending.sql")),
                    lock_sql: with(include_str!("../../sql/captured_lock_rows.sql")),
                    present_sql: with(include_str!("../../sql/captured_rows_present.sql")),
                    pk: shape.pk,
                    digest,
                })
            })
    };
    if let Ok(mut cache) = CACHE.lock() {
        // A table that is missing now is looked up again next time (refresh on miss).
        if let Some(m) = &meta {
            cache.insert(key, m.clone());
        }
    }
    Ok(meta)
}

/// Drop cached metadata of `schema` (a statement failed on a changed table).
pub(super) fn forget_schema(schema: &str) {
    if let Ok(mut cache) = CACHE.lock() {
        cache.retain(|(s, _), _| s != schema);
    }
}

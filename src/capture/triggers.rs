//! Generating the four capture triggers of a table from its shape: AFTER INSERT /
//! UPDATE / DELETE enqueue one row each, BEFORE UPDATE clears the tracking columns when
//! a business column changes. The body text is deterministic, so comparing it with
//! `information_schema.TRIGGERS.ACTION_STATEMENT` tells current from drifted.
//!
//! `record_id`: a one-column key is its text (the guide's form; binary keys as lowercase
//! hex, TIMESTAMP keys in UTC); a composite key is `JSON_ARRAY(k1, k2, ...)` in key
//! order, e.g. `["eu", 42]`. Payload values are rendered per type by `render`.
//!
//! Every body starts with `DECLARE certyo_capture_version … DEFAULT '<MARKER>'`: a
//! marker in a string literal, so it survives the `mysql` client's stripping of
//! comments when `--dry-run` output is pasted.

use std::collections::HashMap;
use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use super::introspect::{Column, TableShape};
use super::render::{self, Refusal, RECORD_ID_WIDTH};
use super::template::{fill, fragment, fragments, quote_ident, statement};
use super::CaptureError;

/// The marker every body of ours carries (in a string literal); how our triggers are
/// recognised. Bump the version when the rendering changes.
pub const MARKER: &str = "certyo-queue capture v2 (generated; do not edit)";
/// The comment marker of version 1 bodies (recognised, always drifted).
pub const MARKER_V1: &str = "certyo-queue capture v1";

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/capture_fragments.sql")));

/// One trigger to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerDef {
    pub name: String,
    /// e.g. `AFTER INSERT`
    pub timing: &'static str,
    pub body: String,
}

/// The kinds of trigger, their name suffix, timing and body template.
const KINDS: [(&str, &str, &str); 4] = [
    (
        "bu",
        "BEFORE UPDATE",
        include_str!("../../sql/capture_body_before_update.sql"),
    ),
    (
        "ai",
        "AFTER INSERT",
        include_str!("../../sql/capture_body_after_insert.sql"),
    ),
    (
        "au",
        "AFTER UPDATE",
        include_str!("../../sql/capture_body_after_update.sql"),
    ),
    (
        "ad",
        "AFTER DELETE",
        include_str!("../../sql/capture_body_after_delete.sql"),
    ),
];

/// `certyo_<table>_<suffix>`, or with the table name shortened and a hash of it when
/// that would pass MySQL's 64-character limit.
pub fn trigger_name(table: &str, suffix: &str) -> String {
    let plain = format!("certyo_{table}_{suffix}");
    if plain.chars().count() <= 64 {
        return plain;
    }
    let hash = Sha256::digest(table.as_bytes());
    let hex: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let short: String = table
        .chars()
        .take(64 - 7 - 1 - 8 - 1 - suffix.len())
        .collect();
    format!("certyo_{short}_{hex}_{suffix}")
}

/// Every trigger name we may have created on `table`.
pub fn trigger_names(table: &str) -> Vec<String> {
    KINDS
        .iter()
        .map(|(s, _, _)| trigger_name(table, s))
        .collect()
}

/// The four triggers `shape` should have right now, or why it cannot be captured.
pub fn generate(shape: &TableShape) -> Result<Vec<TriggerDef>, CaptureError> {
    let table_name = shape.name.as_str();
    let record_id_new = record_id(shape, "NEW")?;
    let record_id_old = record_id(shape, "OLD")?;
    let payload_new = payload(shape, "NEW")?;
    let payload_old = payload(shape, "OLD")?;
    let unchanged = unchanged(shape);
    let key_unchanged = key_unchanged(shape);
    Ok(KINDS
        .iter()
        .map(|(suffix, timing, file)| TriggerDef {
            name: trigger_name(table_name, suffix),
            timing,
            body: fill(
                statement(file),
                &[
                    ("marker", MARKER),
                    ("table_name", table_name),
                    ("record_id_new", &record_id_new),
                    ("record_id_old", &record_id_old),
                    ("payload_new", &payload_new),
                    ("payload_old", &payload_old),
                    ("unchanged", &unchanged),
                    ("key_unchanged", &key_unchanged),
                ],
            ),
        })
        .collect())
}

/// `CREATE TRIGGER …` for one definition on `table`.
pub fn create_statement(def: &TriggerDef, table: &str) -> String {
    fill(
        statement(include_str!("../../sql/capture_create_trigger.sql")),
        &[
            ("trigger", &quote_ident(&def.name)),
            ("timing", def.timing),
            ("table", &quote_ident(table)),
            ("body", &def.body),
        ],
    )
}

pub fn drop_statement(name: &str) -> String {
    fill(
        statement(include_str!("../../sql/capture_drop_trigger.sql")),
        &[("trigger", &quote_ident(name))],
    )
}

/// Does a stored body equal the one we generate? Servers keep the text verbatim, but a
/// body pasted through the `mysql` client may differ in whitespace (and lose comments,
/// which our bodies do not carry): runs of whitespace compare as one space.
pub fn same_body(stored: &str, generated: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    norm(stored) == norm(generated)
}

/// Is this body one of ours (current or an older version)?
pub fn is_ours(body: &str) -> bool {
    body.contains(MARKER) || body.contains(MARKER_V1)
}

/// The record id expression of `row` (`NEW`, `OLD`, or a table alias), as the triggers
/// write it; `ops::backfill` uses the same text. Refuses key types that cannot be found
/// again and keys wider than `record_id`.
pub(crate) fn record_id(shape: &TableShape, row: &str) -> Result<String, CaptureError> {
    let key = shape.key_columns();
    if key.len() != shape.pk.len() || key.is_empty() {
        return Err(CaptureError::NoPrimaryKey(shape.name.clone()));
    }
    let composite = key.len() > 1;
    let mut parts = Vec::with_capacity(key.len());
    for col in &key {
        parts.push(
            render::key_part(col, row, composite).map_err(|_| CaptureError::KeyType {
                table: shape.name.clone(),
                column: col.name.clone(),
                column_type: col.column_type.clone(),
            })?,
        );
    }
    let width = render::record_id_width(&key);
    if width > RECORD_ID_WIDTH {
        return Err(CaptureError::KeyTooWide {
            table: shape.name.clone(),
            key: shape.pk.join(", "),
            width,
        });
    }
    Ok(if composite {
        render::composite(&parts)
    } else {
        parts.remove(0)
    })
}

/// The payload expression (`JSON_OBJECT` of the business columns, each rendered by
/// type) of `row`.
pub(crate) fn payload(shape: &TableShape, row: &str) -> Result<String, CaptureError> {
    let mut pairs = Vec::new();
    for c in shape.business_columns() {
        let value = render::value(c, row, shape.engine).map_err(|r| unrenderable(shape, c, r))?;
        pairs.push(fill(
            fragment(&FRAGMENTS, "payload_pair"),
            &[("name", &c.name), ("value", &value)],
        ));
    }
    Ok(fill(
        fragment(&FRAGMENTS, "payload"),
        &[("pairs", &pairs.join(", "))],
    ))
}

fn unrenderable(shape: &TableShape, c: &Column, _why: Refusal) -> CaptureError {
    CaptureError::Unrenderable {
        table: shape.name.clone(),
        column: c.name.clone(),
        column_type: c.column_type.clone(),
    }
}

fn compared(c: &Column) -> String {
    let name = if c.text || render::key_is_hex(c) {
        "same_text"
    } else {
        "same_value"
    };
    fill(
        fragment(&FRAGMENTS, name),
        &[("col", &quote_ident(&c.name))],
    )
}

/// TRUE when no primary-key column changed (byte-wise for text).
fn key_unchanged(shape: &TableShape) -> String {
    let parts: Vec<String> = shape.key_columns().into_iter().map(compared).collect();
    parts.join(" AND ")
}

fn unchanged(shape: &TableShape) -> String {
    let parts: Vec<String> = shape
        .business_columns()
        .filter(|c| !c.on_update && !c.generated)
        .map(compared)
        .collect();
    if parts.is_empty() {
        return fragment(&FRAGMENTS, "nothing_compared").to_string();
    }
    parts.join("\n      AND ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::introspect::Column;

    fn shape(pk: &[&str]) -> TableShape {
        let col = |n: &str, on_update: bool, text: bool, data_type: &str| Column {
            name: n.into(),
            on_update,
            text,
            data_type: data_type.into(),
            column_type: data_type.into(),
            char_length: text.then_some(8),
            ..Column::default()
        };
        TableShape {
            name: "orders".into(),
            columns: vec![
                col("region", false, true, "varchar"),
                col("id", false, false, "int"),
                col("updated_at", true, false, "timestamp"),
                col("certyo_record_hash", false, true, "varchar"),
            ],
            pk: pk.iter().map(|s| s.to_string()).collect(),
            indexes: vec![],
            engine: Default::default(),
        }
    }

    #[test]
    fn long_names_are_hashed_within_64_chars() {
        let long = "a".repeat(64);
        let name = trigger_name(&long, "bu");
        assert!(name.chars().count() <= 64, "{name}");
        assert_ne!(name, trigger_name(&"a".repeat(63), "bu"));
        assert_eq!(trigger_name("products", "ai"), "certyo_products_ai");
    }

    #[test]
    fn composite_keys_become_a_json_array_in_key_order() {
        let defs = generate(&shape(&["region", "id"])).unwrap();
        let ai = defs.iter().find(|d| d.timing == "AFTER INSERT").unwrap();
        assert!(
            ai.body
                .contains("JSON_ARRAY(CONVERT(NEW.`region` USING utf8mb4), NEW.`id`)"),
            "{}",
            ai.body
        );
        assert!(!ai.body.contains("certyo_record_hash"), "{}", ai.body);
        let au = defs.iter().find(|d| d.timing == "AFTER UPDATE").unwrap();
        assert!(!au.body.contains("OLD.`updated_at` <=>"), "{}", au.body);
        assert!(
            au.body.contains("'delete'") && au.body.contains("'insert'"),
            "a key change closes the old record: {}",
            au.body
        );
        assert!(
            au.body.contains("'updated_at', COALESCE(CONCAT(DATE_FORMAT(TIMESTAMP'1970-01-01 00:00:00' + INTERVAL NULLIF(UNIX_TIMESTAMP(NEW.`updated_at`), 0) SECOND"),
            "{}",
            au.body
        );
        assert!(
            au.body.contains("CAST(OLD.`region` AS BINARY)"),
            "{}",
            au.body
        );
    }
}

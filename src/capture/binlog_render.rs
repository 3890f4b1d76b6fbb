//! Row images from the binary log rendered exactly as the capture triggers render the
//! same row (`render` + `sql/capture_fragments.sql`): the payload JSON text (the
//! triggers' `JSON_OBJECT` layout, `{"k": v, "k2": v2}` in table order, which is what
//! MariaDB's LONGTEXT payload keeps byte for byte) and the `record_id`.
//!
//! Invariants:
//! - A column whose rendering this module does not reproduce exactly is refused by
//!   [`BinlogTable::new`] (named, with `--capture trigger` as the way out), so a
//!   binlog-captured table never gets a payload that differs from its trigger's.
//! - A row image is only decoded against the table shape it was checked with
//!   ([`BinlogTable::matches`]: column count, type family, names where the server logs
//!   them); anything else is an error, never a guess.
//!
//! Supported: integers, DECIMAL, DATE, TIME, DATETIME, TIMESTAMP, YEAR, BIT, ENUM, SET,
//! text in utf8mb4/utf8mb3/ascii/latin1, binary types, and on MySQL FLOAT, DOUBLE and
//! JSON; `--digest-column` on text and binary columns. Not yet: spatial types,
//! MariaDB's UUID/INET types, FLOAT/DOUBLE/JSON on MariaDB (its JSON_OBJECT formats
//! them its own way), VIRTUAL generated columns (not in row images).
//!
//! Here: the table as decoded (refusals, shape checks); [`values`] turns row images
//! into changes, [`format`] holds the value formatting (numbers, times, JSON strings,
//! base64) shared by both.

use mysql_async::consts::ColumnType;

use super::introspect::{Column, Engine, TableShape};
use super::render::Kind;
use super::CaptureError;

mod format;
mod values;

/// Decoding facts per column that `introspect::Column` does not carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnExtra {
    /// CHARACTER_SET_NAME (None for non-character columns).
    pub charset: Option<String>,
    /// EXTRA contains `VIRTUAL GENERATED`.
    pub virtual_generated: bool,
}

/// How one column's values are turned into text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decode {
    Integer { unsigned: bool, bits: u32 },
    Decimal { precision: u32, scale: u32 },
    Float,
    Date,
    Time { precision: u32 },
    DateTime { precision: u32 },
    Timestamp { precision: u32 },
    Year,
    Bit,
    Enum(Vec<String>),
    Set(Vec<String>),
    Text { latin1: bool, char_pad: bool },
    Json,
    Binary { pad_to: Option<usize> },
}

#[derive(Debug, Clone)]
struct Col {
    name: String,
    decode: Decode,
    /// In the payload (not a tracking column).
    business: bool,
    /// Compared for "did a business column change" (not on-update, not generated).
    compared: bool,
    digest: bool,
    data_type: String,
}

/// A captured table as its row images are read.
#[derive(Debug, Clone)]
pub struct BinlogTable {
    pub name: String,
    engine: Engine,
    cols: Vec<Col>,
    /// Indexes of the primary-key columns, in key order.
    key: Vec<usize>,
}

/// One change to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub record_id: String,
    pub op: &'static str,
    pub payload: String,
    /// MySQL: the DECIMAL values of the payload in [`BinlogTable::decimal_columns`]
    /// order (None: NULL), put back with their scale (see `sql/binlog_enqueue.sql`).
    pub decimals: Vec<Option<String>>,
}

fn refuse(shape: &TableShape, c: &Column) -> CaptureError {
    CaptureError::BinlogUnsupported {
        table: shape.name.clone(),
        column: c.name.clone(),
        column_type: c.column_type.clone(),
    }
}

/// The quoted members of `enum('a','b')` / `set('x','y')` (quotes doubled inside).
fn members(column_type: &str) -> Option<Vec<String>> {
    let open = column_type.find('(')?;
    let inner = column_type.get(open + 1..column_type.rfind(')')?)?;
    let mut out = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        match chars.next() {
            None => break,
            Some(',') | Some(' ') => continue,
            Some('\'') => {
                let mut m = String::new();
                loop {
                    match chars.next() {
                        None => return None,
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            m.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => m.push(c),
                    }
                }
                out.push(m);
            }
            Some(_) => return None,
        }
    }
    Some(out)
}

impl BinlogTable {
    /// The table as its row images will be decoded, or the first column that cannot be
    /// rendered exactly like the trigger would.
    pub fn new(shape: &TableShape, extra: &[ColumnExtra]) -> Result<BinlogTable, CaptureError> {
        // The key must be renderable the triggers' way too (type, width).
        super::triggers::record_id(shape, "NEW")?;
        let mut cols = Vec::with_capacity(shape.columns.len());
        for (i, c) in shape.columns.iter().enumerate() {
            let ex = extra.get(i).cloned().unwrap_or_default();
            if ex.virtual_generated {
                return Err(refuse(shape, c));
            }
            let unsigned = c.column_type.to_ascii_lowercase().contains("unsigned");
            let kind = Kind::of(c);
            let decode = match kind {
                Kind::Integer => Decode::Integer {
                    unsigned,
                    bits: match c.data_type.as_str() {
                        "tinyint" => 8,
                        "smallint" => 16,
                        "mediumint" => 24,
                        "bigint" => 64,
                        _ => 32,
                    },
                },
                Kind::Decimal => {
                    let (p, s) = decimal_type(&c.column_type).ok_or_else(|| refuse(shape, c))?;
                    Decode::Decimal {
                        precision: p,
                        scale: s,
                    }
                }
                Kind::Float if shape.engine == Engine::MySql => Decode::Float,
                Kind::Date => Decode::Date,
                Kind::Time => Decode::Time {
                    precision: c.precision,
                },
                Kind::DateTime => Decode::DateTime {
                    precision: c.precision,
                },
                Kind::Timestamp => Decode::Timestamp {
                    precision: c.precision,
                },
                Kind::Year => Decode::Year,
                Kind::Bit => Decode::Bit,
                Kind::Enum => {
                    let m = members(&c.column_type).ok_or_else(|| refuse(shape, c))?;
                    if c.data_type == "set" {
                        Decode::Set(m)
                    } else {
                        Decode::Enum(m)
                    }
                }
                Kind::Text => {
                    let latin1 = match ex.charset.as_deref() {
                        Some("utf8mb4" | "utf8mb3" | "utf8" | "ascii") => false,
                        Some("latin1") => true,
                        _ => return Err(refuse(shape, c)),
                    };
                    Decode::Text {
                        latin1,
                        char_pad: c.data_type == "char",
                    }
                }
                Kind::Json if shape.engine == Engine::MySql => Decode::Json,
                Kind::Binary => Decode::Binary {
                    pad_to: (c.data_type == "binary")
                        .then_some(c.char_length)
                        .flatten()
                        .map(|n| n as usize),
                },
                _ => return Err(refuse(shape, c)),
            };
            if c.digest && !matches!(decode, Decode::Text { .. } | Decode::Binary { .. }) {
                return Err(refuse(shape, c));
            }
            cols.push(Col {
                name: c.name.clone(),
                business: !c.is_tracking(),
                compared: !c.is_tracking() && !c.on_update && !c.generated,
                digest: c.digest,
                data_type: c.data_type.clone(),
                decode,
            });
        }
        let key = shape
            .pk
            .iter()
            .filter_map(|k| shape.columns.iter().position(|c| &c.name == k))
            .collect();
        Ok(BinlogTable {
            name: shape.name.clone(),
            engine: shape.engine,
            cols,
            key,
        })
    }

    /// Does a table map (its column types and, when the server logs them, names) describe
    /// this shape? Events written before an ALTER carry the old shape: they must not be
    /// decoded with the new one.
    pub fn matches(&self, types: &[(ColumnType, Vec<u8>)], names: Option<&[String]>) -> bool {
        if types.len() != self.cols.len() {
            return false;
        }
        if let Some(names) = names {
            if names.len() != self.cols.len()
                || names.iter().zip(&self.cols).any(|(n, c)| n != &c.name)
            {
                return false;
            }
        }
        types.iter().zip(&self.cols).all(|((t, meta), c)| {
            type_fits(*t, &c.data_type)
                && match c.decode {
                    // The event's precision and scale (or fraction digits) must be the
                    // ones rendered: an ALTER may have changed them since.
                    Decode::Decimal { precision, scale } => {
                        meta.first().map(|p| u32::from(*p)) == Some(precision)
                            && meta.get(1).map(|s| u32::from(*s)) == Some(scale)
                    }
                    Decode::Time { precision }
                    | Decode::DateTime { precision }
                    | Decode::Timestamp { precision } => {
                        matches!(
                            t,
                            ColumnType::MYSQL_TYPE_TIME
                                | ColumnType::MYSQL_TYPE_DATETIME
                                | ColumnType::MYSQL_TYPE_TIMESTAMP
                        ) && precision == 0
                            || meta.first().map(|p| u32::from(*p)) == Some(precision)
                    }
                    _ => true,
                }
        })
    }

    /// The DECIMAL columns of the payload on MySQL (name, precision, scale), in table
    /// order: the order of [`Change::decimals`].
    pub fn decimal_columns(&self) -> Vec<(&str, u32, u32)> {
        if self.engine != Engine::MySql {
            return Vec::new();
        }
        self.cols
            .iter()
            .filter(|c| c.business && !c.digest)
            .filter_map(|c| match c.decode {
                Decode::Decimal { precision, scale } => Some((c.name.as_str(), precision, scale)),
                _ => None,
            })
            .collect()
    }
}

/// Why a row image could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the row image does not have the table's columns (the table changed shape)")]
    Shape,
    #[error("column `{0}` is missing from the row image (binlog_row_image must be FULL)")]
    NotFull(String),
    #[error("column `{0}` holds a value this version cannot decode from the binary log")]
    Value(String),
}

/// Does a table map's column type belong to this information_schema DATA_TYPE?
fn type_fits(t: ColumnType, data_type: &str) -> bool {
    use ColumnType::*;
    match data_type {
        "tinyint" => t == MYSQL_TYPE_TINY,
        "smallint" => t == MYSQL_TYPE_SHORT,
        "mediumint" => t == MYSQL_TYPE_INT24,
        "int" | "integer" => t == MYSQL_TYPE_LONG,
        "bigint" => t == MYSQL_TYPE_LONGLONG,
        "decimal" | "numeric" => t == MYSQL_TYPE_NEWDECIMAL,
        "float" => t == MYSQL_TYPE_FLOAT,
        "double" | "real" => t == MYSQL_TYPE_DOUBLE,
        "date" => matches!(t, MYSQL_TYPE_DATE | MYSQL_TYPE_NEWDATE),
        "time" => matches!(t, MYSQL_TYPE_TIME | MYSQL_TYPE_TIME2),
        "datetime" => matches!(t, MYSQL_TYPE_DATETIME | MYSQL_TYPE_DATETIME2),
        "timestamp" => matches!(t, MYSQL_TYPE_TIMESTAMP | MYSQL_TYPE_TIMESTAMP2),
        "year" => t == MYSQL_TYPE_YEAR,
        "bit" => t == MYSQL_TYPE_BIT,
        "enum" => t == MYSQL_TYPE_ENUM,
        "set" => t == MYSQL_TYPE_SET,
        "char" | "binary" => t == MYSQL_TYPE_STRING,
        "varchar" | "varbinary" => matches!(t, MYSQL_TYPE_VARCHAR | MYSQL_TYPE_VAR_STRING),
        "tinytext" | "text" | "mediumtext" | "longtext" | "tinyblob" | "blob" | "mediumblob"
        | "longblob" => t == MYSQL_TYPE_BLOB,
        "json" => matches!(t, MYSQL_TYPE_JSON | MYSQL_TYPE_BLOB),
        _ => false,
    }
}

/// `decimal(10,2)` → (10, 2).
fn decimal_type(column_type: &str) -> Option<(u32, u32)> {
    let open = column_type.find('(')?;
    let close = column_type.find(')')?;
    let (p, s) = column_type.get(open + 1..close)?.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::format::*;
    use super::*;
    use mysql_async::Value;

    #[test]
    fn enum_members_unquote() {
        assert_eq!(
            members("enum('a','b''c','ç')"),
            Some(vec!["a".into(), "b'c".into(), "ç".into()])
        );
        assert_eq!(members("set('x','y')"), Some(vec!["x".into(), "y".into()]));
    }

    #[test]
    fn json_strings_escape_like_the_server() {
        assert_eq!(quoted("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(base64(&[0, 0xff, 0x10, 0]), "AP8QAA==");
        assert_eq!(fraction(123456, 3), ".123");
        assert_eq!(fraction(5, 0), "");
        assert_eq!(
            timestamp(2147483647, 0, 0, true).as_deref(),
            Some("2038-01-19T03:14:07Z")
        );
        assert_eq!(
            timestamp(0, 0, 3, true).as_deref(),
            Some("0000-00-00T00:00:00.000Z")
        );
        assert_eq!(cp1252(0xe9), 'é');
        assert_eq!(cp1252(0x80), '€');
    }

    #[test]
    fn unsigned_integers_from_signed_images() {
        assert_eq!(
            integer(&Value::Int(-1), true, 64).as_deref(),
            Some("18446744073709551615")
        );
        assert_eq!(integer(&Value::Int(-1), true, 8).as_deref(), Some("255"));
        assert_eq!(integer(&Value::Int(-1), false, 8).as_deref(), Some("-1"));
        assert_eq!(
            integer(&Value::Int(8388608), false, 24).as_deref(),
            Some("-8388608")
        );
        assert_eq!(
            integer(&Value::Int(i64::MIN), false, 64).as_deref(),
            Some("-9223372036854775808")
        );
    }
}

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

use mysql_async::binlog::value::BinlogValue;
use mysql_async::consts::ColumnType;
use mysql_async::Value;
use sha2::{Digest, Sha256};

use super::introspect::{Column, Engine, TableShape};
use super::render::Kind;
use super::CaptureError;

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

    /// The changes one row event makes: `before`/`after` are the row images (None for
    /// an insert's before and a delete's after). An update that changed no compared
    /// business column (our write-back, verification) yields nothing.
    pub fn changes(
        &self,
        before: Option<&[Option<BinlogValue<'_>>]>,
        after: Option<&[Option<BinlogValue<'_>>]>,
    ) -> Result<Vec<Change>, RenderError> {
        match (before, after) {
            (None, Some(a)) => Ok(vec![self.change(a, "insert")?]),
            (Some(b), None) => Ok(vec![self.change(b, "delete")?]),
            (Some(b), Some(a)) => {
                let same = |i: usize| b.get(i) == a.get(i);
                if (0..self.cols.len())
                    .filter(|i| self.cols[*i].compared)
                    .all(same)
                {
                    return Ok(Vec::new());
                }
                if self.key.iter().all(|i| same(*i)) {
                    Ok(vec![self.change(a, "update")?])
                } else {
                    Ok(vec![self.change(b, "delete")?, self.change(a, "insert")?])
                }
            }
            (None, None) => Ok(Vec::new()),
        }
    }

    fn change(
        &self,
        row: &[Option<BinlogValue<'_>>],
        op: &'static str,
    ) -> Result<Change, RenderError> {
        if row.len() != self.cols.len() {
            return Err(RenderError::Shape);
        }
        let mut payload = String::from("{");
        let mut decimals = Vec::new();
        let mut first = true;
        for (c, v) in self.cols.iter().zip(row) {
            if !c.business {
                continue;
            }
            let v = v.as_ref().ok_or(RenderError::NotFull(c.name.clone()))?;
            let text = self.value(c, v)?;
            if !first {
                payload.push_str(", ");
            }
            first = false;
            json_string(&mut payload, &c.name);
            payload.push_str(": ");
            if self.engine == Engine::MySql
                && matches!(c.decode, Decode::Decimal { .. })
                && !c.digest
            {
                decimals.push((text != "null").then(|| text.clone()));
            }
            payload.push_str(&text);
        }
        payload.push('}');
        let composite = self.key.len() > 1;
        let mut parts = Vec::with_capacity(self.key.len());
        for i in &self.key {
            let c = &self.cols[*i];
            let v = row[*i]
                .as_ref()
                .ok_or(RenderError::NotFull(c.name.clone()))?;
            parts.push(self.key_part(c, v, composite)?);
        }
        let record_id = if composite {
            format!("[{}]", parts.join(", "))
        } else {
            parts.pop().unwrap_or_default()
        };
        Ok(Change {
            record_id,
            op,
            payload,
            decimals,
        })
    }

    /// The JSON text of one value.
    fn value(&self, c: &Col, v: &BinlogValue<'_>) -> Result<String, RenderError> {
        let bad = || RenderError::Value(c.name.clone());
        let v = match v {
            BinlogValue::Value(Value::NULL) => return Ok("null".into()),
            BinlogValue::Value(v) => v,
            BinlogValue::Jsonb(j) if c.decode == Decode::Json => {
                let json = serde_json::Value::try_from(j.clone()).map_err(|_| bad())?;
                return Ok(json.to_string());
            }
            _ => return Err(bad()),
        };
        if c.digest {
            let bytes = self.bytes_of(c, v)?;
            let hex: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            return Ok(quoted(&hex));
        }
        Ok(match &c.decode {
            Decode::Integer { unsigned, bits } => integer(v, *unsigned, *bits).ok_or_else(bad)?,
            Decode::Decimal { .. } => match v {
                Value::Bytes(b) => std::str::from_utf8(b).map_err(|_| bad())?.to_string(),
                _ => return Err(bad()),
            },
            Decode::Float => {
                let f = match v {
                    Value::Float(f) => f64::from(*f),
                    Value::Double(d) => *d,
                    _ => return Err(bad()),
                };
                if f == f.round() && f.abs() < 1e15 {
                    format!("{}", f as i64)
                } else {
                    serde_json::Number::from_f64(f).ok_or_else(bad)?.to_string()
                }
            }
            Decode::Date
            | Decode::Time { .. }
            | Decode::DateTime { .. }
            | Decode::Year
            | Decode::Enum(_)
            | Decode::Set(_)
            | Decode::Text { .. }
            | Decode::Timestamp { .. } => {
                let t = self.text_of(c, v, true)?;
                if matches!(c.decode, Decode::Year) {
                    t
                } else {
                    quoted(&t)
                }
            }
            Decode::Bit => bits(v).ok_or_else(bad)?.to_string(),
            Decode::Binary { .. } => quoted(&base64(&self.bytes_of(c, v)?)),
            Decode::Json => return Err(bad()),
        })
    }

    /// The raw bytes of a text or binary value (BINARY(n) padded with zero bytes as
    /// stored; CHAR without its trailing spaces, as it reads back).
    fn bytes_of(&self, c: &Col, v: &Value) -> Result<Vec<u8>, RenderError> {
        let Value::Bytes(b) = v else {
            return Err(RenderError::Value(c.name.clone()));
        };
        Ok(match &c.decode {
            Decode::Binary { pad_to: Some(n) } if b.len() < *n => {
                let mut b = b.clone();
                b.resize(*n, 0);
                b
            }
            Decode::Text { .. } => self.text_of(c, v, true)?.into_bytes(),
            _ => b.clone(),
        })
    }

    /// The text of a value as `CAST(v AS CHAR)` / `CONVERT(v USING utf8mb4)` gives it
    /// (`payload`: TIMESTAMP in the payload form, else the record-id form).
    fn text_of(&self, c: &Col, v: &Value, payload: bool) -> Result<String, RenderError> {
        let bad = || RenderError::Value(c.name.clone());
        Ok(match (&c.decode, v) {
            (Decode::Integer { unsigned, bits }, v) => {
                integer(v, *unsigned, *bits).ok_or_else(bad)?
            }
            (Decode::Decimal { .. }, Value::Bytes(b)) => {
                std::str::from_utf8(b).map_err(|_| bad())?.to_string()
            }
            (Decode::Date, Value::Date(y, m, d, ..)) => format!("{y:04}-{m:02}-{d:02}"),
            (Decode::DateTime { precision }, Value::Date(y, mo, d, h, mi, s, us)) => format!(
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{}",
                fraction(*us, *precision)
            ),
            (Decode::Time { precision }, Value::Time(neg, days, h, m, s, us)) => format!(
                "{}{:02}:{m:02}:{s:02}{}",
                if *neg { "-" } else { "" },
                u64::from(*days) * 24 + u64::from(*h),
                fraction(*us, *precision)
            ),
            (Decode::Timestamp { precision }, v) => {
                let (sec, us) = timestamp_parts(v).ok_or_else(bad)?;
                timestamp(sec, us, *precision, payload).ok_or_else(bad)?
            }
            (Decode::Year, Value::Bytes(b)) => {
                let y: u32 = std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(bad)?;
                // The binlog stores YEAR as an offset from 1900; 0 is the zero year.
                if y == 1900 { 0 } else { y }.to_string()
            }
            (Decode::Year, Value::Int(y)) => y.to_string(),
            (Decode::Enum(m), Value::Int(i)) => match *i {
                0 => String::new(),
                i => m.get((i - 1) as usize).cloned().ok_or_else(bad)?,
            },
            (Decode::Set(m), Value::Bytes(b)) => {
                let mut mask: u64 = 0;
                for (i, byte) in b.iter().enumerate().take(8) {
                    mask |= u64::from(*byte) << (8 * i);
                }
                m.iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1u64 << i) != 0)
                    .map(|(_, s)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }
            (Decode::Text { latin1, char_pad }, Value::Bytes(b)) => {
                let mut s = if *latin1 {
                    b.iter().map(|x| cp1252(*x)).collect::<String>()
                } else {
                    String::from_utf8(b.clone()).map_err(|_| bad())?
                };
                if *char_pad {
                    let trimmed = s.trim_end_matches(' ').len();
                    s.truncate(trimmed);
                }
                s
            }
            _ => return Err(bad()),
        })
    }

    /// One key column's part of record_id (`render::key_part`).
    fn key_part(
        &self,
        c: &Col,
        v: &BinlogValue<'_>,
        composite: bool,
    ) -> Result<String, RenderError> {
        let bad = || RenderError::Value(c.name.clone());
        let BinlogValue::Value(v) = v else {
            return Err(bad());
        };
        let text = match &c.decode {
            Decode::Binary { .. } => self
                .bytes_of(c, v)?
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            Decode::Integer { .. } => {
                return self.text_of(c, v, false);
            }
            Decode::Year | Decode::Bit | Decode::Float | Decode::Json => return Err(bad()),
            _ => self.text_of(c, v, false)?,
        };
        Ok(if composite { quoted(&text) } else { text })
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

fn integer(v: &Value, unsigned: bool, bits: u32) -> Option<String> {
    // The image's signedness depends on the table map's metadata, which not every
    // server sends: reinterpret the stored bits by the column's declared type.
    let raw: u64 = match v {
        Value::UInt(u) => *u,
        Value::Int(i) => *i as u64,
        _ => return None,
    };
    let mask: u64 = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let raw = raw & mask;
    Some(if unsigned {
        raw.to_string()
    } else if bits < 64 && raw >= 1u64 << (bits - 1) {
        (raw as i64 - (1i64 << bits)).to_string()
    } else {
        (raw as i64).to_string()
    })
}

fn bits(v: &Value) -> Option<u64> {
    let Value::Bytes(b) = v else { return None };
    if b.len() > 8 {
        return None;
    }
    Some(b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
}

/// `.ffffff` cut to `precision` digits (empty for 0).
fn fraction(us: u32, precision: u32) -> String {
    if precision == 0 {
        return String::new();
    }
    let p = precision.min(6) as usize;
    format!(".{:06}", us)[..=p].to_string()
}

fn timestamp_parts(v: &Value) -> Option<(i64, u32)> {
    match v {
        Value::Int(s) => Some((*s, 0)),
        Value::Bytes(b) => {
            let s = std::str::from_utf8(b).ok()?;
            match s.split_once('.') {
                Some((sec, us)) => Some((sec.parse().ok()?, us.parse().ok()?)),
                None => Some((s.parse().ok()?, 0)),
            }
        }
        _ => None,
    }
}

/// TIMESTAMP text in UTC (`render::timestamp`): `…T…Z` in payloads, `… …` in record ids;
/// the zero TIMESTAMP keeps its zero form.
fn timestamp(sec: i64, us: u32, precision: u32, payload: bool) -> Option<String> {
    let (sep, suffix) = if payload { ("T", "Z") } else { (" ", "") };
    if sec == 0 && us == 0 {
        return Some(format!(
            "0000-00-00{sep}00:00:00{}{suffix}",
            fraction(0, precision)
        ));
    }
    let t = chrono::DateTime::from_timestamp(sec, 0)?.naive_utc();
    Some(format!(
        "{}{sep}{}{}{suffix}",
        t.format("%Y-%m-%d"),
        t.format("%H:%M:%S"),
        fraction(us, precision)
    ))
}

/// MySQL's and MariaDB's `latin1` is Windows-1252 (with the five undefined bytes kept as
/// the C1 controls of the same number).
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}',
        '\u{017D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
        '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}',
        '\u{9D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => char::from(b),
    }
}

/// A JSON string as MySQL's and MariaDB's JSON_OBJECT write it.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_string(&mut out, s);
    out
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Standard base64 with padding, no line breaks (`TO_BASE64` without its newlines).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! How each column type becomes a payload value and a `record_id` part: one rendering
//! per type, chosen from `information_schema` and written as SQL expressions from
//! `sql/capture_fragments.sql`, shared by the triggers and by `backfill`.
//!
//! Invariants:
//! - The rendering depends only on the stored value and the column's declared type:
//!   never on the writer's `time_zone`, `sql_mode` or character set (TIMESTAMP goes
//!   through `UNIX_TIMESTAMP`, which reads the stored instant; text is converted to
//!   utf8mb4; binary data is base64), and it is the same on MySQL and MariaDB.
//! - Every expression yields valid JSON input for every stored value, so a capture
//!   trigger cannot make the application's statement fail on content.
//! - A type not listed here is refused by `migrate` (naming the column and the way out,
//!   `--digest-column`), never rendered by guesswork.
//!
//! The README's "Payload rendering" table documents every row of [`Kind`].

use std::collections::HashMap;
use std::sync::LazyLock;

use super::introspect::{Column, Engine};
use super::template::{fill, fragment, fragments, quote_ident};

static FRAGMENTS: LazyLock<HashMap<&'static str, &'static str>> =
    LazyLock::new(|| fragments(include_str!("../../sql/capture_fragments.sql")));

/// certyo_queue.record_id is VARCHAR(255) (migration V2).
pub const RECORD_ID_WIDTH: u64 = 255;

/// The rendering family of a column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Integer,
    Decimal,
    Float,
    Date,
    Time,
    DateTime,
    Timestamp,
    Year,
    Bit,
    /// ENUM and SET: their text.
    Enum,
    /// CHAR, VARCHAR, TEXT types in any character set.
    Text,
    Json,
    /// BINARY, VARBINARY, BLOB types.
    Binary,
    Spatial,
    /// MariaDB's UUID, INET4, INET6: their canonical text.
    AsText,
    /// Anything else (e.g. MySQL 9's VECTOR): refused unless digested.
    Unknown,
}

impl Kind {
    pub fn of(col: &Column) -> Kind {
        if col.json {
            return Kind::Json;
        }
        match col.data_type.as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" => Kind::Integer,
            "decimal" | "numeric" | "dec" | "fixed" => Kind::Decimal,
            "float" | "double" | "real" | "double precision" => Kind::Float,
            "date" => Kind::Date,
            "time" => Kind::Time,
            "datetime" => Kind::DateTime,
            "timestamp" => Kind::Timestamp,
            "year" => Kind::Year,
            "bit" => Kind::Bit,
            "enum" | "set" => Kind::Enum,
            "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" => {
                if col.text {
                    Kind::Text
                } else {
                    Kind::Binary
                }
            }
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => {
                Kind::Binary
            }
            "json" => Kind::Json,
            "geometry" | "point" | "linestring" | "polygon" | "multipoint" | "multilinestring"
            | "multipolygon" | "geometrycollection" | "geomcollection" => Kind::Spatial,
            "uuid" | "inet4" | "inet6" => Kind::AsText,
            _ => Kind::Unknown,
        }
    }

    /// May `--digest-column` replace this column's value by its SHA-256?
    pub fn digestible(self) -> bool {
        matches!(self, Kind::Text | Kind::Binary | Kind::Unknown)
    }

    /// Can a primary-key column of this kind be written into `record_id` and found again?
    fn keyable(self) -> bool {
        matches!(
            self,
            Kind::Integer
                | Kind::Decimal
                | Kind::Date
                | Kind::Time
                | Kind::DateTime
                | Kind::Timestamp
                | Kind::Year
                | Kind::Enum
                | Kind::Text
                | Kind::Binary
                | Kind::AsText
        )
    }
}

/// Why a column cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The payload cannot render this type.
    Type,
    /// This type cannot be a `record_id` part.
    KeyType,
}

fn frag(name: &str, values: &[(&str, &str)]) -> String {
    fill(fragment(&FRAGMENTS, name), values)
}

/// `col` of `row` (`NEW`, `OLD`, `src`), e.g. NEW.`price`: the name is one found in
/// information_schema and checked (`capture::check_name`), quoted here.
fn column_of(col: &Column, row: &str) -> String {
    frag("column", &[("row", row), ("col", &quote_ident(&col.name))])
}

/// The payload value of `col` in `row` (`NEW`, `OLD`, `src`).
pub fn value(col: &Column, row: &str, engine: Engine) -> Result<String, Refusal> {
    let v = column_of(col, row);
    let v = v.as_str();
    let kind = Kind::of(col);
    if col.digest && kind.digestible() {
        return Ok(match kind {
            Kind::Text => frag("digest_text", &[("v", v)]),
            Kind::Binary => frag("digest_binary", &[("v", v)]),
            _ => frag("digest_cast", &[("v", v)]),
        });
    }
    Ok(match kind {
        Kind::Integer => frag("integer", &[("v", v)]),
        Kind::Decimal => frag("decimal", &[("v", v)]),
        Kind::Float => match engine {
            Engine::MySql => frag("float_mysql", &[("v", v)]),
            Engine::MariaDb => frag("float", &[("v", v)]),
        },
        Kind::Date | Kind::Time | Kind::DateTime => frag("temporal", &[("v", v)]),
        Kind::Timestamp => timestamp(v, col.precision, true),
        Kind::Year => frag("year", &[("v", v)]),
        Kind::Bit => frag("bit", &[("v", v)]),
        Kind::Enum | Kind::Text => frag("text", &[("v", v)]),
        Kind::AsText => frag("as_text", &[("v", v)]),
        Kind::Json => frag("json", &[("v", v)]),
        Kind::Binary => frag("binary", &[("v", v)]),
        Kind::Spatial => {
            let wkt = match engine {
                Engine::MySql => frag("wkt_mysql", &[("v", v)]),
                Engine::MariaDb => frag("wkt", &[("v", v)]),
            };
            frag("spatial", &[("v", v), ("wkt", &wkt)])
        }
        Kind::Unknown => return Err(Refusal::Type),
    })
}

/// TIMESTAMP as UTC text with exactly `precision` fraction digits: ISO 8601 with `T`
/// and `Z` in payloads, `YYYY-MM-DD hh:mm:ss[.f]` (UTC, what our UTC sessions compare
/// with) in record ids. The zero TIMESTAMP keeps its zero form.
fn timestamp(v: &str, precision: u32, payload: bool) -> String {
    let precision = precision.min(6) as usize;
    let (sep, suffix) = if payload { ("T", "Z") } else { (" ", "") };
    let len = if precision == 0 { 19 } else { 20 + precision };
    let zeros = "0".repeat(precision);
    let zero = frag(
        if precision == 0 {
            "timestamp_zero"
        } else {
            "timestamp_zero_fraction"
        },
        &[("sep", sep), ("zeros", &zeros), ("suffix", suffix)],
    );
    frag(
        if precision == 0 {
            "timestamp"
        } else {
            "timestamp_fraction"
        },
        &[
            ("v", v),
            ("zero", &zero),
            ("sep", sep),
            ("len", &len.to_string()),
            ("suffix", suffix),
        ],
    )
}

/// One key column's part of `record_id`: text for a one-column key; inside a composite
/// key's JSON array a number for integer columns, a string otherwise (DECIMAL too, so
/// write-back binds its exact digits). Binary keys are lowercase hex.
pub fn key_part(col: &Column, row: &str, composite: bool) -> Result<String, Refusal> {
    let v = column_of(col, row);
    let v = v.as_str();
    let kind = Kind::of(col);
    if !kind.keyable() {
        return Err(Refusal::KeyType);
    }
    Ok(match kind {
        Kind::Integer if composite => v.to_string(),
        Kind::Binary => frag("hex", &[("v", v)]),
        Kind::Timestamp => timestamp(v, col.precision, false),
        Kind::Text | Kind::Enum => frag("text", &[("v", v)]),
        _ => frag("as_text", &[("v", v)]),
    })
}

/// Is this key column written as hex (and so found again with `UNHEX(?)`)?
pub fn key_is_hex(col: &Column) -> bool {
    Kind::of(col) == Kind::Binary
}

/// The most characters one key column can take in `record_id` (a string part of a
/// composite key counts its two quotes).
pub fn key_width(col: &Column, composite: bool) -> u64 {
    let unsigned = col.column_type.to_ascii_lowercase().contains("unsigned");
    let frac = |p: u32| if p == 0 { 0 } else { u64::from(p) + 1 };
    let kind = Kind::of(col);
    let width = match kind {
        Kind::Integer => {
            let w = match col.data_type.as_str() {
                "tinyint" => 3,
                "smallint" => 5,
                "mediumint" => 8,
                "bigint" => 20,
                _ => 10,
            };
            if unsigned || col.data_type == "bigint" {
                w
            } else {
                w + 1
            }
        }
        Kind::Decimal => col.numeric_precision.unwrap_or(65) + 2,
        Kind::Date => 10,
        Kind::Time => 10 + frac(col.precision),
        Kind::DateTime | Kind::Timestamp => 19 + frac(col.precision),
        Kind::Year => 4,
        Kind::Binary => 2 * col.char_length.unwrap_or(u64::MAX / 4),
        Kind::AsText => 39,
        _ => col.char_length.unwrap_or(u64::MAX / 4),
    };
    let quoted = composite && kind != Kind::Integer;
    width + if quoted { 2 } else { 0 }
}

/// The widest `record_id` a key of these columns can produce.
pub fn record_id_width(key: &[&Column]) -> u64 {
    match key {
        [one] => key_width(one, false),
        many => {
            let parts: u64 = many.iter().map(|c| key_width(c, true)).sum();
            2 + parts + 2 * (many.len() as u64 - 1)
        }
    }
}

/// The composite record id from its parts.
pub fn composite(values: &[String]) -> String {
    frag("record_id_composite", &[("values", &values.join(", "))])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(data_type: &str, column_type: &str) -> Column {
        Column {
            name: "c".into(),
            data_type: data_type.into(),
            column_type: column_type.into(),
            ..Column::default()
        }
    }

    #[test]
    fn timestamps_are_utc_with_the_column_precision() {
        let mut c = col("timestamp", "timestamp(3)");
        c.precision = 3;
        let sql = value(&c, "NEW", Engine::MySql).unwrap();
        assert!(sql.contains("UNIX_TIMESTAMP(NEW.`c`)"), "{sql}");
        assert_eq!(sql.matches("UNIX_TIMESTAMP(").count(), 1, "{sql}");
        assert!(sql.contains("'%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z'"), "{sql}");
        assert!(
            sql.ends_with("IF(NEW.`c` IS NULL, NULL, '0000-00-00T00:00:00.000Z'))"),
            "{sql}"
        );
        let key = key_part(&c, "NEW", false).unwrap();
        assert!(key.contains("'%Y-%m-%d %H:%i:%s.%f'), 23), ''"), "{key}");
        c.precision = 0;
        let whole = value(&c, "NEW", Engine::MariaDb).unwrap();
        assert!(
            whole.contains("SECOND, '%Y-%m-%dT%H:%i:%s'), 'Z')"),
            "{whole}"
        );
        assert!(whole.ends_with("'0000-00-00T00:00:00Z'))"), "{whole}");
    }

    #[test]
    fn unknown_types_are_refused_unless_digested() {
        let mut c = col("vector", "vector(3)");
        assert_eq!(value(&c, "NEW", Engine::MySql), Err(Refusal::Type));
        c.digest = true;
        assert_eq!(
            value(&c, "NEW", Engine::MySql).unwrap(),
            "SHA2(CAST(NEW.`c` AS BINARY), 256)"
        );
    }

    #[test]
    fn key_widths() {
        let mut b = col("binary", "binary(16)");
        b.char_length = Some(16);
        assert_eq!(record_id_width(&[&b]), 32);
        let i = col("int", "int unsigned");
        assert_eq!(record_id_width(&[&b, &i]), 2 + 34 + 10 + 2);
        let mut v = col("varchar", "varchar(300)");
        v.text = true;
        v.char_length = Some(300);
        assert!(record_id_width(&[&v]) > RECORD_ID_WIDTH);
        assert_eq!(key_part(&b, "NEW", false).unwrap(), "LOWER(HEX(NEW.`c`))");
        assert_eq!(
            key_part(&col("json", "json"), "NEW", false),
            Err(Refusal::KeyType)
        );
    }
}

//! Row images to changes: which events an image pair makes (insert, update, a
//! primary-key change as delete + insert, delete; an update of no compared business
//! column makes none), each column's value rendered as the triggers' JSON_OBJECT writes
//! it, and the `record_id` from the key columns.

use mysql_async::binlog::value::BinlogValue;
use mysql_async::Value;
use sha2::{Digest, Sha256};

use super::format::{
    base64, bits, cp1252, fraction, integer, json_string, quoted, timestamp, timestamp_parts,
};
use super::{BinlogTable, Change, Col, Decode, RenderError};
use crate::capture::introspect::Engine;

impl BinlogTable {
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

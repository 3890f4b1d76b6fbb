//! `record_id` parsed back into key values, as the capture triggers wrote it.

/// A key value bound to `pk = ?`; MySQL converts text to the column's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyValue {
    Int(i64),
    Text(String),
}

/// `record_id` as the capture triggers wrote it: the value itself for a one-column key,
/// a JSON array of the key values for a composite key.
pub(crate) fn parse_record_id(record_id: &str, key_len: usize) -> Option<Vec<KeyValue>> {
    if key_len == 1 {
        return Some(vec![KeyValue::Text(record_id.to_string())]);
    }
    let values: Vec<serde_json::Value> = serde_json::from_str(record_id).ok()?;
    if values.len() != key_len {
        return None;
    }
    values
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Some(KeyValue::Text(s)),
            serde_json::Value::Number(n) => Some(match n.as_i64() {
                Some(i) => KeyValue::Int(i),
                None => KeyValue::Text(n.to_string()),
            }),
            serde_json::Value::Bool(b) => Some(KeyValue::Int(i64::from(b))),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_parse_back() {
        assert_eq!(
            parse_record_id("42", 1),
            Some(vec![KeyValue::Text("42".into())])
        );
        assert_eq!(
            parse_record_id(r#"["eu", 42]"#, 2),
            Some(vec![KeyValue::Text("eu".into()), KeyValue::Int(42)])
        );
        assert_eq!(parse_record_id(r#"["eu"]"#, 2), None);
        assert_eq!(parse_record_id("eu,42", 2), None);
    }
}

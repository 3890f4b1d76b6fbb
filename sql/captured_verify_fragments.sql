-- tasks::verify: fragments of captured_select_verify_due.sql and captured_mark_anchored,
-- _verify_later and _failed.sql. A binary key column is lowercase hex in record_id
-- (capture), so it is read with HEX and matched with UNHEX. record_id_one and
-- record_id_many are the record id as the capture triggers write it: the key as text for
-- a one-column key, a JSON array of the key values for a composite key.
-- Fragments: one per line as "name: template"; the ? of pk_match and pk_match_hex binds
-- that key column's value (as text).
-- Placeholders: {col} a checked, backtick-quoted column; {i} a key column's position;
-- {cols} the key columns joined by ", ".
pk_value: CAST({col} AS CHAR) AS pk{i}
pk_value_hex: LOWER(HEX({col})) AS pk{i}
pk_match: {col} = ?
pk_match_hex: {col} = UNHEX(?)
keep: , {col} = {col}
record_id_one: CAST({col} AS CHAR)
record_id_many: CAST(JSON_ARRAY({cols}) AS CHAR)

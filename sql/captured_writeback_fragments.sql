-- writeback: fragments of captured_mark_pending.sql (and due_row of
-- writeback_due_defer.sql), one per line as `name: template`; {col} is a checked,
-- backtick-quoted column, {n} a key column's position. A binary key column is
-- lowercase hex in record_id (capture), so it joins on UNHEX. digest_set writes the
-- delivered payload's digest (d) on tables that have certyo_payload_sha256.
key_join: t.{col} = v.k{n}
key_join_hex: t.{col} = UNHEX(v.k{n})
keep: , t.{col} = t.{col}
digest_set: , t.certyo_payload_sha256 = v.d
first_row: SELECT ? AS h, ? AS r, ? AS q, ? AS d{keys}
first_key: , ? AS k{n}
row: UNION ALL SELECT ?, ?, ?, ?{keys}
key: , ?
due_row: (?, ?, ?, ?, NOW(6) + INTERVAL ? MICROSECOND, ?)

-- writeback: fragments of captured_mark_pending.sql, captured_lock_rows.sql and
-- captured_rows_present.sql (and due_row of writeback_due_defer.sql). A binary key
-- column is lowercase hex in record_id (capture), so it joins on UNHEX. digest_set
-- writes the delivered payload's digest (d) on tables that have certyo_payload_sha256.
-- Fragments: one per line as "name: template"; the ? of first_row and row bind h (the
-- record hash), r (the record_id), q (the queue id), d (the payload digest), those of
-- first_key and key one key value each; due_row's bind the queue id, the table, the
-- record id, the hash, the delay in microseconds and the error.
-- Placeholders: {col} a checked, backtick-quoted column; {n} a key column's position;
-- {keys} the first_key or key fragments, one per key column.
key_join: t.{col} = v.k{n}
key_join_hex: t.{col} = UNHEX(v.k{n})
keep: , t.{col} = t.{col}
digest_set: , t.certyo_payload_sha256 = v.d
first_row: SELECT ? AS h, ? AS r, ? AS q, ? AS d{keys}
first_key: , ? AS k{n}
row: UNION ALL SELECT ?, ?, ?, ?{keys}
key: , ?
due_row: (?, ?, ?, ?, NOW(6) + INTERVAL ? MICROSECOND, ?)

-- ops::audit_sql: fragments of audit_mark.sql ({keep}, row_keys) and
-- audit_rows_present.sql (present_*).
-- Fragments: one per line as "name: template"; the ? of present_first and present_row
-- bind a record id, those of present_first_key and present_key one key value each.
-- Placeholders: {col} a checked, backtick-quoted column; {n} a key column's position;
-- {terms} eq terms (backfill_fragments.sql) joined by AND; {keys} the present_first_key
-- or present_key fragments, one per key column.
keep: , src.{col} = src.{col}
row_keys: ({terms})
present_first: SELECT ? AS r{keys}
present_first_key: , ? AS k{n}
present_row: UNION ALL SELECT ?{keys}
present_key: , ?
present_join: src.{col} = v.k{n}
present_join_hex: src.{col} = UNHEX(v.k{n})

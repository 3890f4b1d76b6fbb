-- audit: fragments, one per line as `name: template`. {col} is a checked,
-- backtick-quoted column; {param} its bind marker (`?`, or `UNHEX(?)` for a binary key
-- kept as hex); {n} a key column's position; {terms} eq terms joined by AND.
keep: , src.{col} = src.{col}
row_keys: ({terms})
present_first: SELECT ? AS r{keys}
present_first_key: , ? AS k{n}
present_row: UNION ALL SELECT ?{keys}
present_key: , ?
present_join: src.{col} = v.k{n}
present_join_hex: src.{col} = UNHEX(v.k{n})

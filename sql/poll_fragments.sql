-- capture::poll: fragments of poll_read_window.sql and the page statements. The page
-- cursor (col, k0, k1) > (s, v0, v1) is written as a union of ranges,
-- col > s OR (col = s AND (k0 > v0 OR (k0 = v0 AND k1 > v1))).
-- Fragments: one per line as "name: template"; param and param_hex are a key value's
-- bind marker; seen_row's four ? bind the table, the record id, the stamp and the
-- digest of one row (poll_seen_upsert.sql).
-- Placeholders: {col} a checked, backtick-quoted column over the bare table (`t`.`c`);
-- {param} its bind marker (`?`, or `UNHEX(?)` for a binary key kept as hex).
key_text: CAST({col} AS CHAR)
key_hex: LOWER(HEX({col}))
param: ?
param_hex: UNHEX(?)
gt: {col} > {param}
eq: {col} = {param}
everything: TRUE
seen_row: (?, ?, ?, ?)

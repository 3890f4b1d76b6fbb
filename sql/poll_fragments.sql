-- capture::poll: fragments of poll_read_window.sql and the page statements. The page
-- cursor (col, k0, k1) > (s, v0, v1) is written as a union of ranges,
-- col > s OR (col = s AND (k0 > v0 OR (k0 = v0 AND k1 > v1))).
-- Fragments: one per line as "name: template"; qualified is a column over the bare
-- table; key_text and key_hex a key column in the select list; param and param_hex a
-- key value's bind marker; gt, eq, all_of, any_of and everything the cursor condition;
-- seen_row's four ? bind the table, the record id, the stamp and the digest of one row
-- (poll_seen_upsert.sql).
-- Placeholders: {table} the checked, backtick-quoted table; {col} a checked,
-- backtick-quoted column over the bare table (`t`.`c`, the qualified fragment); {param}
-- its bind marker (`?`, or `UNHEX(?)` for a binary key kept as hex); {i} a key column's
-- position; {terms} eq/gt terms joined by AND; {alternatives} all_of groups joined by OR.
qualified: {table}.{col}
key_text: CAST({col} AS CHAR) AS k{i}
key_hex: LOWER(HEX({col})) AS k{i}
param: ?
param_hex: UNHEX(?)
gt: {col} > {param}
eq: {col} = {param}
all_of: ({terms})
any_of: ({alternatives})
everything: TRUE
seen_row: (?, ?, ?, ?)

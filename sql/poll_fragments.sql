-- poll: fragments of poll_read_window.sql and the page statements, one per line as
-- `name: template`. {col} is a checked, backtick-quoted column over the bare table
-- (`t`.`c`, the `qualified` fragment of the quoted {table} and {col}); {param} its bind
-- marker (`?`, or `UNHEX(?)` for a binary key kept as hex); {i} a key column's
-- position. {terms} are eq/gt terms joined by AND, {alternatives} all_of groups joined
-- by OR.
-- The page cursor (col, k0, k1) > (s, v0, v1) is written as a union of ranges,
-- col > s OR (col = s AND (k0 > v0 OR (k0 = v0 AND k1 > v1))).
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

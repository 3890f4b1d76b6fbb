-- backfill: fragments of the keyset-pagination queries, one per line as `name: template`.
-- <col> is src.`column`, a checked, backtick-quoted primary-key column; <param> is the
-- bind marker of its value: `?`, or `UNHEX(?)` for a binary key column, whose value is
-- kept as hex (key_hex) like its record_id. A composite key (a, b) > (x, y) is written
-- a > x OR (a = x AND b > y): a union of ranges on PRIMARY.
key_text: CAST({col} AS CHAR)
key_hex: LOWER(HEX({col}))
param: ?
param_hex: UNHEX(?)
gt: {col} > {param}
lt: {col} < {param}
le: {col} <= {param}
eq: {col} = {param}
asc: {col}
desc: {col} DESC
everything: TRUE

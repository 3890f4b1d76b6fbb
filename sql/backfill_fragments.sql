-- backfill: fragments of the keyset-pagination queries, one per line as `name: template`.
-- <col> is src.`column`, a checked, backtick-quoted primary-key column. A composite key
-- (a, b) > (x, y) is written a > x OR (a = x AND b > y): a union of ranges on PRIMARY.
key_text: CAST({col} AS CHAR)
gt: {col} > ?
lt: {col} < ?
le: {col} <= ?
eq: {col} = ?
asc: {col}
desc: {col} DESC
everything: TRUE

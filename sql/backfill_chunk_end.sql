-- backfill: the key of the last row of the next chunk: the row ? places after the last
-- key done (OFFSET batch - 1), as text. None: fewer rows than a batch are left.
-- <key_text> selects the key columns as text, <after> is "key > last key" (or TRUE),
-- <order> the key columns in key order. Index: PRIMARY, range scan in key order, read
-- from the index alone. Locks: nothing (plain consistent read).
SELECT {key_text}
FROM {table} AS src
WHERE {after}
ORDER BY {order}
LIMIT 1 OFFSET ?

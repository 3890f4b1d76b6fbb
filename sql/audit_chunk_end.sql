-- ops::audit::scan: the key of the last row of the next chunk: the row ? places after
-- the last key done (OFFSET chunk - 1), as text; none when fewer rows than a chunk are
-- left. Same keyset pieces as backfill (sql/backfill_fragments.sql).
-- Index: PRIMARY, range scan in key order, read from the index alone.
-- Locks: nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk), then the chunk size
-- less one.
-- Placeholders: {key_text} the key columns as text; {table} the checked,
-- backtick-quoted table; {after} "key > last key" (or TRUE); {order} the key columns in
-- key order.
-- Returns: the key columns as text; one row, or none.
SELECT {key_text}
FROM {table} AS src
WHERE {after}
ORDER BY {order}
LIMIT 1 OFFSET ?

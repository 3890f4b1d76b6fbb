-- ops::backfill::chunk: the key of the last row of the next chunk: the row ? places
-- after the last key done (OFFSET batch - 1), as text. None: fewer rows than a batch are
-- left. Index: PRIMARY, range scan in key order, read from the index alone. Locks:
-- nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk), then the batch size
-- less one.
-- Placeholders: {key_text} selects the key columns as text; {table} the checked,
-- backtick-quoted table; {after} "key > last key" (or TRUE); {order} the key columns in
-- key order.
-- Returns: the key columns as text; one row, or none.
SELECT {key_text}
FROM {table} AS src
WHERE {after}
ORDER BY {order}
LIMIT 1 OFFSET ?

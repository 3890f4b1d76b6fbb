-- ops::backfill::chunk: the keys of the rows with {after} AND {upto}, as text: locked
-- (share_skip_*: the rows the chunk holds before it enqueues them; share_wait_*: one
-- skipped row, waited for in a transaction holding nothing else), or not (empty: every
-- committed row of the chunk, to find the ones skipped).
-- Index: PRIMARY range, read from the index alone (or the clustered index, to lock).
-- Parameters: the key values of {after} (none on the first chunk), then those of {upto}.
-- Placeholders: {key_text} selects the key columns as text; {table} the checked,
-- backtick-quoted table; {after} "key > last key" (or TRUE, or "key = value"); {upto}
-- "key <= chunk end" (or TRUE); {order} the key columns in key order; {lock} a lock
-- clause of backfill_fragments.sql for the server's engine, or nothing.
-- Returns: the key columns as text; one row per row.
SELECT {key_text}
FROM {table} AS src
WHERE {after} AND {upto}
ORDER BY {order}
{lock}

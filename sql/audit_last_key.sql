-- ops::audit::scan: the greatest key after the last key done (the end of the final,
-- short chunk), as text; none when no row is left. Index: PRIMARY, read backwards from
-- its end. Locks: nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk).
-- Placeholders: {key_text} the key columns as text; {table} the checked,
-- backtick-quoted table; {after} "key > last key" (or TRUE); {order_desc} the key
-- columns in descending key order.
-- Returns: the key columns as text; one row, or none.
SELECT {key_text}
FROM {table} AS src
WHERE {after}
ORDER BY {order_desc}
LIMIT 1

-- audit: the greatest key after the last key done (the end of the final, short chunk),
-- as text; none when no row is left. Index: PRIMARY, read backwards from its end.
-- Locks: nothing (plain consistent read).
SELECT {key_text}
FROM {table} AS src
WHERE {after}
ORDER BY {order_desc}
LIMIT 1

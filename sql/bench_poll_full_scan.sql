-- bench: one full scan of the polled scratch table, for comparison with a poll round
-- (a predicate no index serves). {table} is the quoted scratch table. Scratch only.
SELECT COUNT(*) FROM {table} WHERE name LIKE '%no such name%'

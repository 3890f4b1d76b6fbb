-- bench::poll::measure: one full scan of the polled scratch table, for comparison with a
-- poll round (a predicate no index serves). Scratch only.
-- Parameters: none
-- Placeholders: {table} the quoted scratch table.
-- Returns: one row, one column: the count (0).
SELECT COUNT(*) FROM {table} WHERE name LIKE '%no such name%'

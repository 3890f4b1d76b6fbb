-- capture::poll::check: the indexes of a table whose first column is the poll column,
-- i.e. indexes that serve the poller's range read `WHERE col >= ? ORDER BY col, pk`
-- (InnoDB secondary indexes carry the primary key, so (col) alone gives the order). The
-- caller keeps the rows of the table and column it asked about. Reads
-- information_schema.STATISTICS only; no data locks.
-- Parameters: the schema, the table name.
-- Returns: table_name, index_name, column_name, one row per index (by its first
-- column) of the table.
SELECT DISTINCT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name,
       CAST(COLUMN_NAME AS CHAR) AS column_name
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1

-- poll: the indexes of table ? (schema ?) whose first column is ?, i.e. indexes that
-- serve the poller's range read `WHERE col >= ? ORDER BY col, pk` (InnoDB secondary
-- indexes carry the primary key, so (col) alone gives the order). Reads
-- information_schema.STATISTICS only; no data locks. Parameters: schema, table, column.
SELECT DISTINCT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name,
       CAST(COLUMN_NAME AS CHAR) AS column_name
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND SEQ_IN_INDEX = 1

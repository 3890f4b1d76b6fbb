-- capture: index names of one table (to see whether certyo_verify exists). Reads
-- information_schema.STATISTICS only; no data locks.
SELECT DISTINCT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(INDEX_NAME AS CHAR) AS index_name
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?

-- queue::versions::newest_live: for the write-back, the newest live (not dead) queue row
-- of each of the records {ids} (? per record_id) of table ?, so a late write-back never
-- overwrites a newer version's state.
-- A plain SELECT: a consistent, non-locking read (READ COMMITTED), run after the source
-- rows are locked, so no newer change of them can commit in between. On MySQL, rows a
-- subquery reads inside an UPDATE are locked; this is why the guard is its own
-- statement. Served by certyo_queue_record_order (table_name, record_id, processed, id).
-- Parameters: the table name, then the record ids ({ids}).
-- Placeholders: {ids} one bind marker per record id.
-- Returns: record_id, newest (the highest live queue id), one row per record that has a
-- live row.
SELECT CAST(record_id AS CHAR) AS record_id, MAX(id) AS newest
FROM certyo_queue
WHERE table_name = ? AND record_id IN ({ids}) AND dead_at IS NULL
GROUP BY record_id
